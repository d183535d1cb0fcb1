// The verifier end to end: ksimd hosts a filter of the misbehaving test driver that unlocks an
// unlocked stream pointer on every Process; the graph manager commits, the pipe runs, and
// `ksimctl verifier` shows the rule, the routine and the count over the wire, subscribers get one
// verifier_violation event, and the pin keeps completing frames. A pin that is not a driver's is refused by
// name.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "stack.hpp"

namespace ksim::itest {
namespace {

std::filesystem::path write_config(const std::filesystem::path& path) {
    std::ofstream(path) << R"({"ksim_topology": 1, "name": "verifier-flow", "filters": [
      {"id": "bad", "driver": {"module": ")" KSIM_MISBEHAVING_DRIVER R"(", "filter": "UnlockUnlocked"},
       "video": {"format": "NV12", "width": 64, "height": 48, "fps": [30, 1]}},
      {"id": "checker", "kind": "kernel_sink", "pins": [{"id": "input", "direction": "in", "hosting": "kernel",
       "framing": {"simple": {"memory_type": "DONT_CARE", "flags": ["PREFERENCES_ONLY"], "frames": 2,
       "alignment": "FILE_QUAD_ALIGNMENT", "min_frame_size": 0, "max_frame_size": 4294967295}}}]}],
      "connections": [{"from": "bad.capture", "to": "checker.input"}]})";
    return path;
}

// Waits (on events, against a deadline) until the pin completed `frames`, its verifier saw at
// least one violation and the verifier_violation event arrived (its body in `event`).
bool wait_violation_and_frames(client::Client& c, const proto::PinRef& p, std::uint64_t frames,
                               std::chrono::milliseconds timeout, nlohmann::json& event) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto stats = c.statistics(p);
        if (stats && stats->completed >= frames && stats->verifier && stats->verifier->total > 0 &&
            !event.is_null())
            return true;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        auto e = c.connection().next_event(std::min(left, std::chrono::milliseconds(50)));
        if (e && e->type == wire::MessageType::VerifierViolation) {
            EXPECT_TRUE(event.is_null())
                << "a second verifier_violation event for the same rule: " << e->body;
            event = e->body;
        }
    }
}

TEST(VerifierFlow, UnlockOfAnUnlockedPointer_ShowsInKsimctlVerifier_AndThePinKeepsStreaming) {
    const auto shm_before = ksim_dev_shm_entries();
    const std::filesystem::path config = std::filesystem::temp_directory_path() /
                                         ("ksim-verifier-flow-" + std::to_string(::getpid()) + ".json");
    {
        Stack stack(write_config(config));
        auto app = stack.connect(wire::Role::Client, "observer");
        ASSERT_TRUE(app);
        ASSERT_TRUE(app->connection().subscribe());
        auto mgr = stack.start_graphmgr("manager");
        ASSERT_TRUE(wait_all_committed(*app, 1, 20s)) << mgr->stderr_text();
        const proto::PinRef bad{"bad", "capture"}, checker{"checker", "input"};
        set_state(*app, checker, proto::PinState::Run);
        set_state(*app, bad, proto::PinState::Run);
        nlohmann::json event;
        ASSERT_TRUE(wait_violation_and_frames(*app, bad, 5, 30s, event)) << stack.daemon().stderr_text();
        // The event: the pin, the driver, the rule and the routine, once per rule.
        EXPECT_EQ(event["pin"], "bad.capture") << event;
        EXPECT_EQ(event["driver"], KSIM_MISBEHAVING_DRIVER) << event;
        EXPECT_EQ(event["violation"]["rule"], "verifier.unlock-unlocked") << event;
        EXPECT_EQ(event["violation"]["routine"], "KsStreamPointerUnlock") << event;
        EXPECT_EQ(event["violation"]["nth"], 1) << event;

        const RunResult ctl =
            run({ksimctl_path(), "--socket", stack.socket(), "--json", "verifier", "bad.capture"},
                stack.dir(), "ksimctl");
        ASSERT_EQ(ctl.exit_code, 0) << ctl.err;
        const auto rows = nlohmann::json::parse(ctl.out);
        ASSERT_EQ(rows.size(), 1u) << ctl.out;
        EXPECT_EQ(rows[0]["pin"], "bad.capture");
        const auto& v = rows[0]["verifier"];
        EXPECT_EQ(v["driver"], KSIM_MISBEHAVING_DRIVER);
        ASSERT_EQ(v["rules"].size(), 1u) << ctl.out;
        EXPECT_EQ(v["rules"][0]["rule"], "verifier.unlock-unlocked");
        EXPECT_GE(v["rules"][0]["count"].get<std::uint64_t>(), 1u);
        ASSERT_FALSE(v["recent"].empty());
        EXPECT_EQ(v["recent"].back()["routine"], "KsStreamPointerUnlock");

        const RunResult table =
            run({ksimctl_path(), "--socket", stack.socket(), "verifier"}, stack.dir(), "ksimctl-table");
        ASSERT_EQ(table.exit_code, 0) << table.err;
        EXPECT_NE(table.out.find("verifier.unlock-unlocked"), std::string::npos) << table.out;
        EXPECT_NE(table.out.find("KsStreamPointerUnlock"), std::string::npos) << table.out;

        // The kernel sink is a built-in driver: the verifier watches its pin too, and finds nothing.
        const RunResult sink =
            run({ksimctl_path(), "--socket", stack.socket(), "--json", "verifier", "checker.input"},
                stack.dir(), "ksimctl-sink");
        ASSERT_EQ(sink.exit_code, 0) << sink.err;
        const auto sink_rows = nlohmann::json::parse(sink.out);
        ASSERT_EQ(sink_rows.size(), 1u) << sink.out;
        EXPECT_EQ(sink_rows[0]["verifier"]["driver"], "builtin:kernel_sink");
        EXPECT_TRUE(sink_rows[0]["verifier"]["rules"].empty()) << sink.out;

        set_state(*app, bad, proto::PinState::Stop);
        set_state(*app, checker, proto::PinState::Stop);
        EXPECT_EQ(stack.stop_daemon(), 0);
        // The log (ksimd logs to stdout): the rule, the how-manieth, the driver.
        EXPECT_NE(stack.daemon().stdout_text().find("verifier.unlock-unlocked [1] driver "),
                  std::string::npos)
            << stack.daemon().stdout_text();
    }
    std::filesystem::remove(config);
    EXPECT_EQ(ksim_dev_shm_entries(), shm_before);
}

// camera -> `middle` (a built-in transform: its input and output pins) -> checker: once frames
// reach the checker, `ksimctl --json verifier` names `driver` for both of the middle's pins, with
// no rule broken; nothing is left in /dev/shm.
void expect_middle_pins_hosted_by(const std::filesystem::path& config, const std::string& middle,
                                  const std::string& driver) {
    const auto shm_before = ksim_dev_shm_entries();
    {
        Stack stack(config);
        auto app = stack.connect(wire::Role::Client, "observer");
        ASSERT_TRUE(app);
        auto mgr = stack.start_graphmgr("manager");
        ASSERT_TRUE(wait_all_committed(*app, 2, 20s)) << mgr->stderr_text();
        const proto::PinRef checker{"checker", "input"}, camera{"camera", "capture"};
        const proto::PinRef middle_in{middle, "input"}, middle_out{middle, "output"};
        for (const auto& p : {checker, middle_out, middle_in, camera})
            set_state(*app, p, proto::PinState::Run);
        const auto deadline = std::chrono::steady_clock::now() + 30s;
        for (;;) {
            auto stats = app->statistics(checker);
            ASSERT_TRUE(stats) << stats.error().message;
            if (stats->completed >= 5) break;
            ASSERT_LT(std::chrono::steady_clock::now(), deadline) << stack.daemon().stderr_text();
            (void)app->connection().next_event(50ms);
        }
        for (const std::string& pin : {middle + ".input", middle + ".output"}) {
            const RunResult ctl = run({ksimctl_path(), "--socket", stack.socket(), "--json", "verifier", pin},
                                      stack.dir(), "ksimctl");
            ASSERT_EQ(ctl.exit_code, 0) << ctl.err;
            const auto rows = nlohmann::json::parse(ctl.out);
            ASSERT_EQ(rows.size(), 1u) << ctl.out;
            EXPECT_EQ(rows[0]["pin"], pin);
            EXPECT_EQ(rows[0]["verifier"]["driver"], driver) << ctl.out;
            EXPECT_TRUE(rows[0]["verifier"]["rules"].empty()) << ctl.out;
        }
        for (const auto& p : {camera, middle_in, middle_out, checker})
            set_state(*app, p, proto::PinState::Stop);
        EXPECT_EQ(stack.stop_daemon(), 0);
    }
    EXPECT_EQ(ksim_dev_shm_entries(), shm_before);
}

TEST(VerifierFlow, InPlaceTransformPins_AreTheBuiltInDriversInKsimctlVerifier_WhileFramesFlowThroughThem) {
    expect_middle_pins_hosted_by(configs_dir() / "inplace-transform-pipe.json", "overlay",
                                 "builtin:inplace_transform");
}

TEST(VerifierFlow, CopyTransformPins_AreTheBuiltInDriversInKsimctlVerifier_WhileFramesFlowThroughThem) {
    const std::filesystem::path config = std::filesystem::temp_directory_path() /
                                         ("ksim-verifier-copy-" + std::to_string(::getpid()) + ".json");
    // camera (NV12 64x48) -> scaler (copy_transform to NV12 32x24, its own pipe) -> checker.
    std::ofstream(config) << R"({"ksim_topology": 1, "name": "verifier-copy", "filters": [
      {"id": "camera", "kind": "video_capture", "video": {"format": "NV12", "width": 64, "height": 48, "fps": [30, 1]},
       "pins": [{"id": "capture", "direction": "out", "hosting": "kernel",
       "framing": {"simple": {"memory_type": "KERNEL_NONPAGED", "flags": ["SYSTEM_MEMORY", "PREFERENCES_ONLY"],
       "frames": 2, "alignment": "FILE_QUAD_ALIGNMENT", "min_frame_size": 4608, "max_frame_size": 4608}}}]},
      {"id": "scaler", "kind": "copy_transform", "video": {"format": "NV12", "width": 32, "height": 24, "fps": [30, 1]},
       "pins": [{"id": "input", "direction": "in", "hosting": "kernel",
       "framing": {"simple": {"memory_type": "DONT_CARE", "flags": ["PREFERENCES_ONLY"], "frames": 2,
       "alignment": "FILE_QUAD_ALIGNMENT", "min_frame_size": 0, "max_frame_size": 4294967295}}},
       {"id": "output", "direction": "out", "hosting": "kernel",
       "framing": {"simple": {"memory_type": "DONT_CARE", "flags": ["PREFERENCES_ONLY"], "frames": 2,
       "alignment": "FILE_QUAD_ALIGNMENT", "min_frame_size": 1152, "max_frame_size": 1152}}}]},
      {"id": "checker", "kind": "kernel_sink", "pins": [{"id": "input", "direction": "in", "hosting": "kernel",
       "framing": {"simple": {"memory_type": "DONT_CARE", "flags": ["PREFERENCES_ONLY"], "frames": 2,
       "alignment": "FILE_QUAD_ALIGNMENT", "min_frame_size": 0, "max_frame_size": 4294967295}}}]}],
      "connections": [{"from": "camera.capture", "to": "scaler.input"}, {"from": "scaler.output", "to": "checker.input"}]})";
    expect_middle_pins_hosted_by(config, "scaler", "builtin:copy_transform");
    std::filesystem::remove(config);
}

}  // namespace
}  // namespace ksim::itest
