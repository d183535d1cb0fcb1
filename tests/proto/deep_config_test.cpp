// A config nested far too deep is one clear diagnostic from the loader, never a crash; a value of
// the wrong type is named by its type, never dumped.
#include <gtest/gtest.h>

#include "../common/deep_json.hpp"
#include "config_test_util.hpp"
#include "ksim/proto/untrusted_json.hpp"

namespace ksim::proto {
namespace {

using ksim::test::kHostileDepth;
using ksim::test::nested_arrays;

// The minimal config's text with `replacement` as the value of the first pin's alignment.
std::string config_with_alignment(const std::string& replacement) {
    std::string text = test::minimal_config().dump(2);
    const std::string alignment = "\"FILE_BYTE_ALIGNMENT\"";
    auto at = text.find(alignment);
    EXPECT_NE(at, std::string::npos);
    return text.replace(at, alignment.size(), replacement);
}

TEST(DeepConfig, HostileDepthUnderAlignment_IsOneTooDeepDiagnosticWithPosition) {
    std::string text = config_with_alignment(nested_arrays(kHostileDepth));
    auto r = load_topology_text(text, "deep.json");
    ASSERT_FALSE(r.has_value());
    ASSERT_EQ(r.error().size(), 1u);
    const Diagnostic& d = r.error().front();
    EXPECT_EQ(d.rule, "json.too-deep");
    EXPECT_TRUE(d.pointer.starts_with("/filters/0/pins/0/framing/simple/alignment/0/0/")) << d.pointer;
    EXPECT_GT(d.line, 1);
    EXPECT_GT(d.column, 1);
    EXPECT_NE(d.to_string().find("nesting deeper than 64 levels"), std::string::npos) << d.to_string();
}

TEST(DeepConfig, HostileDepthAtTheRoot_IsRefused) {
    auto r = load_topology_text(nested_arrays(kHostileDepth), "deep.json");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().front().rule, "json.too-deep");
    EXPECT_EQ(r.error().front().line, 1);
}

TEST(DeepConfig, ArrayAsAlignment_IsNamedByItsTypeNotDumped) {
    std::string text = config_with_alignment(nested_arrays(kMaxJsonDepth - 10, "\"SECRET\""));
    auto r = load_topology_text(text, "a.json");
    ASSERT_FALSE(r.has_value());
    ASSERT_EQ(r.error().size(), 1u) << r.error().front().to_string();
    EXPECT_NE(r.error().front().message.find("expected an alignment, found an array"), std::string::npos)
        << r.error().front().message;
    EXPECT_EQ(r.error().front().message.find("SECRET"), std::string::npos);
}

TEST(DeepConfig, DeepValuesWhereScalarsBelong_AreNamedByTypeEverywhere) {
    auto config = test::minimal_config();
    auto deep = nlohmann::json::parse(nested_arrays(kMaxJsonDepth - 10, "\"SECRET\""));
    config["filters"][0]["video"]["fps"] = deep;
    config["memory_types"] = {{"VRAM", deep}};
    auto d = test::diagnostics_of(config);
    ASSERT_EQ(d.size(), 2u);
    for (const auto& diag : d) {
        EXPECT_EQ(diag.message.find("SECRET"), std::string::npos) << diag.to_string();
        EXPECT_NE(diag.message.find("an array"), std::string::npos) << diag.to_string();
    }
}

}  // namespace
}  // namespace ksim::proto
