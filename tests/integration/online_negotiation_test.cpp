// Each shipped config negotiates online (ksimd + ksim-graphmgr reading framing over the protocol)
// exactly as `ksimctl negotiate --json` predicts offline, and what ksimd then holds as committed
// is what the records say.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "ksim/negotiation/record_json.hpp"
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
