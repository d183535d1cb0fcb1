// A minimal valid topology and helpers to break it one rule at a time.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "ksim/proto/topology_loader.hpp"

namespace ksim::proto::test {

// camera.capture (kernel, out) -> viewer.input (user, in). Validates cleanly.
inline nlohmann::json minimal_config() {
    return nlohmann::json::parse(R"({
      "ksim_topology": 1, "name": "t", "comment": "minimal",
      "filters": [
        {"id": "camera", "kind": "video_capture",
         "video": {"format": "NV12", "width": 64, "height": 64, "fps": [30, 1]},
         "pins": [{"id": "capture", "direction": "out", "hosting": "kernel",
                   "framing": {"simple": {"memory_type": "KERNEL_NONPAGED", "flags": ["SYSTEM_MEMORY"],
                                          "frames": 2, "alignment": "FILE_BYTE_ALIGNMENT",
                                          "min_frame_size": 6144, "max_frame_size": 6144}}}]},
        {"id": "viewer", "kind": "user_sink",
         "pins": [{"id": "input", "direction": "in", "hosting": "user"}]}
      ],
      "connections": [{"from": "camera.capture", "to": "viewer.input"}]
    })");
}

inline Diagnostics diagnostics_of(const nlohmann::json& config) {
    auto result = load_topology_text(config.dump(2), "test.json");
    return result ? Diagnostics{} : result.error();
}

// Asserts exactly one diagnostic with this rule and pointer, whose message contains `text`.
inline void expect_single(const nlohmann::json& config, std::string_view rule, std::string_view pointer,
                          std::string_view text) {
    Diagnostics d = diagnostics_of(config);
    ASSERT_EQ(d.size(), 1u) << (d.empty() ? std::string("no diagnostics") : d.front().to_string());
    EXPECT_EQ(d[0].rule, rule) << d[0].to_string();
    EXPECT_EQ(d[0].pointer, pointer) << d[0].to_string();
    EXPECT_NE(d[0].message.find(text), std::string::npos) << d[0].to_string();
    EXPECT_FALSE(d[0].hint.empty());
    EXPECT_GT(d[0].line, 0);
    EXPECT_GT(d[0].column, 0);
}

}  // namespace ksim::proto::test
