// Each shipped config negotiates online (ksimd + ksim-graphmgr reading framing over the protocol)
// exactly as `ksimctl negotiate --json` predicts offline, and what ksimd then holds as committed
// is what the records say. Both Graphviz views (`negotiate --dot` offline, `graph --dot` online)
// are valid DOT that explain the records: each rejected candidate's rule, values and fix, each
// failed connection's rule, each in-place filter as one box.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "dot_check.hpp"
#include "ksim/negotiation/record_json.hpp"
#include "ksim/negotiation/render.hpp"
#include "stack.hpp"

namespace ksim::itest {
namespace {

class OnlineNegotiation : public ::testing::TestWithParam<std::filesystem::path> {};

wire::AllocatorKind wire_kind(negotiation::AllocatorKind k) {
    switch (k) {
        case negotiation::AllocatorKind::Vendor:
            return wire::AllocatorKind::Vendor;
        case negotiation::AllocatorKind::User:
            return wire::AllocatorKind::User;
        case negotiation::AllocatorKind::Default:
            break;
    }
    return wire::AllocatorKind::Default;
}

// What both DOT views must say about `records`; `label` names the view in failures.
void expect_dot_explains(const std::string& dot, const negotiation::NegotiationResult& records,
                         const std::filesystem::path& dir, const std::string& label) {
    EXPECT_EQ(dot_problems(dot), "") << label << ":\n" << dot;
    const auto file = dir / (label + ".dot");
    { std::ofstream(file) << dot; }
    const RunResult rendered =
        run({KSIM_ITEST_DOT, "-Tsvg", "-o", "/dev/null", file.string()}, dir, label + "-dot");
    EXPECT_EQ(rendered.exit_code, 0) << label << ": dot refused it: " << rendered.err;
    const std::string text = unwrapped(dot);
    auto expect_finding = [&](const negotiation::Finding& f) {
        EXPECT_NE(text.find("[" + std::string(f.rule) + "]"), std::string::npos) << label << ": " << f.rule;
        if (!f.suggestion.empty()) {
            EXPECT_NE(text.find("fix: " + std::string(f.suggestion)), std::string::npos)
                << label << ": the fix of " << f.rule << "\n"
                << text;
        }
        if (!f.values.empty()) {
            EXPECT_NE(text.find("values: " + std::string(f.values.front().name) + " = "), std::string::npos)
                << label << ": the values of " << f.rule;
        }
    };
    for (const auto& p : records.pipes) {
        for (const auto& c : p.decision.candidates)
            if (!c.selected && !c.reasons.empty()) {
                EXPECT_NE(text.find(negotiation::describe_allocator(c.allocator) + ": rejected"),
                          std::string::npos)
                    << label;
                expect_finding(c.reasons.front());
            }
        if (p.decision.failure) expect_finding(*p.decision.failure);
        for (std::size_t i = 0; i + 1 < p.pins.size(); ++i) {
            const std::string a(p.pins[i]), b(p.pins[i + 1]);
            const std::string filter = a.substr(0, a.find('.'));
            if (b.substr(0, b.find('.')) == filter) {
                EXPECT_NE(text.find(filter + " (in place: one set of frames)"), std::string::npos)
                    << label << ": in-place filter " << filter;
            }
        }
    }
}

TEST_P(OnlineNegotiation, GraphManager_CommitsExactlyWhatOfflineNegotiationPredicts) {
    const auto config = GetParam();
    const auto shm_before = ksim_dev_shm_entries();
    {
        Stack stack(config);
        const RunResult offline =
            run({ksimctl_path(), "--json", "negotiate", config.string()}, stack.dir(), "offline");
        ASSERT_TRUE(offline.exit_code == 0 || offline.exit_code == 3) << offline.err;
        const RunResult online = stack.run_graphmgr_once("online", {"--json"});
        ASSERT_EQ(online.exit_code, offline.exit_code) << online.err;

        const auto offline_json = nlohmann::ordered_json::parse(offline.out);
        const auto online_json = nlohmann::ordered_json::parse(online.out);
        EXPECT_EQ(online_json.dump(2), offline_json.dump(2));

        auto records = negotiation::from_json(online_json);
        ASSERT_TRUE(records) << records.error().message;
        auto observer = stack.connect();
        ASSERT_TRUE(observer) << observer.error().message;
        auto committed = observer->connections();
        ASSERT_TRUE(committed) << committed.error().message;
        ASSERT_EQ(committed->size(), records->connections.size());
        for (const auto& conn : *committed) {
            const std::string id = conn.from.to_string() + "->" + conn.to.to_string();
            const auto pipe = std::ranges::find_if(records->pipes, [&](const auto& p) {
                return std::find(p.connections.begin(), p.connections.end(), id) != p.connections.end();
            });
            ASSERT_NE(pipe, records->pipes.end()) << id;
            const auto& d = pipe->decision;
            if (d.status == negotiation::Status::Failed) {
                EXPECT_FALSE(conn.decision.has_value()) << id << " committed although its negotiation failed";
                continue;
            }
            ASSERT_TRUE(conn.decision.has_value()) << id << " not committed";
            EXPECT_EQ(conn.decision->kind, wire_kind(d.allocator->kind)) << id;
            EXPECT_EQ(conn.decision->provider.to_string(), d.allocator->pin) << id;
            EXPECT_EQ(conn.decision->frame_size, d.framing.frame_size) << id;
            EXPECT_EQ(conn.decision->frames, d.framing.frames) << id;
            EXPECT_EQ(conn.decision->alignment_mask, d.framing.alignment_mask) << id;
        }

        const RunResult offline_dot =
            run({ksimctl_path(), "negotiate", config.string(), "--dot"}, stack.dir(), "offline-dot");
        EXPECT_EQ(offline_dot.exit_code, offline.exit_code) << offline_dot.err;
        expect_dot_explains(offline_dot.out, *records, stack.dir(), "negotiate");
        const RunResult online_dot =
            run({ksimctl_path(), "--socket", stack.socket(), "graph", "--dot"}, stack.dir(), "online-dot");
        EXPECT_EQ(online_dot.exit_code, 0) << online_dot.err;
        expect_dot_explains(online_dot.out, *records, stack.dir(), "graph");
        for (const auto& conn : *committed)
            if (conn.decision && conn.decision->kind == wire::AllocatorKind::Vendor) {
                EXPECT_NE(online_dot.out.find("committed: vendor allocator "), std::string::npos)
                    << "the vendor allocator by its name\n"
                    << online_dot.out;
            }
        EXPECT_EQ(stack.stop_daemon(), 0);
    }
    EXPECT_FALSE(has_live_children());
    EXPECT_EQ(ksim_dev_shm_entries(), shm_before);
}

INSTANTIATE_TEST_SUITE_P(ShippedConfigs, OnlineNegotiation, ::testing::ValuesIn(shipped_configs()),
                         [](const auto& info) {
                             std::string name = info.param.stem().string();
                             std::ranges::replace(name, '-', '_');
                             return name;
                         });

}  // namespace
}  // namespace ksim::itest
