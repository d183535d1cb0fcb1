// Diagnostics point at the line and column where the offending value (or unknown key) starts,
// and format as "file:line:col: /pointer: message; hint".
#include <gtest/gtest.h>

#include "ksim/proto/topology_loader.hpp"

using namespace ksim::proto;

namespace {
constexpr const char* kText =
    "{\n"
    "  \"ksim_topology\": 1,\n"
    "  \"filters\": [\n"
    "    {\"id\": \"sink\", \"kind\": \"kernel_sink\",\n"
    "     \"pins\": [{\"id\": \"in\", \"direction\": \"in\",\n"
    "               \"framing\": {\"simple\": {\"memory_type\": \"USER\", \"frames\": 9999}}}]}\n"
    "  ],\n"
    "  \"conections\": []\n"
    "}\n";
}

TEST(ConfigPositions, ValueError_PointsAtValueStart) {
    auto r = load_topology_text(kText, "p.json");
    ASSERT_FALSE(r);
    const Diagnostic* frames = nullptr;
    for (const auto& d : r.error())
        if (d.rule == "frames.absurd") frames = &d;
    ASSERT_NE(frames, nullptr);
    EXPECT_EQ(frames->line, 6);
    EXPECT_EQ(frames->column, 72);
    EXPECT_EQ(frames->pointer, "/filters/0/pins/0/framing/simple/frames");
}

TEST(ConfigPositions, UnknownKey_PointsAtKey) {
    auto r = load_topology_text(kText, "p.json");
    ASSERT_FALSE(r);
    const Diagnostic* key = nullptr;
    for (const auto& d : r.error())
        if (d.rule == "key.unknown") key = &d;
    ASSERT_NE(key, nullptr);
    EXPECT_EQ(key->line, 8);
    EXPECT_EQ(key->column, 3);
    EXPECT_EQ(key->to_string(),
              "p.json:8:3: /conections: unknown key \"conections\"; did you mean \"connections\"?");
}

TEST(ConfigPositions, EscapedKeys_MapToRfc6901Pointers) {
    auto r = load_topology_text("{\"ksim_topology\": 1, \"filters\": [], \"a/b~c\": 1}", "e.json");
    ASSERT_FALSE(r);
    ASSERT_EQ(r.error().size(), 1u);
    EXPECT_EQ(r.error()[0].pointer, "/a~1b~0c");
    EXPECT_EQ(r.error()[0].column, 37);
}

TEST(ConfigPositions, UnreadableFile_ReportedNotThrown) {
    auto r = load_topology_file("/nonexistent/ksim-h1.json");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error()[0].rule, "file.unreadable");
}
