// The one message table: names are unique, look-ups round-trip, roles are enforced by data.
#include "ksim/wire/message_table.hpp"

#include <gtest/gtest.h>

#include <set>

namespace ksim::wire {
namespace {

TEST(WireMessageTable, EveryType_HasAUniqueNameThatParsesBack) {
    std::set<std::string_view> names;
    for (const auto& m : message_table()) {
        EXPECT_TRUE(names.insert(m.name).second) << "duplicate name " << m.name;
        auto parsed = parse_message_type(m.name);
        ASSERT_TRUE(parsed.has_value()) << m.name;
        EXPECT_EQ(*parsed, m.type);
        EXPECT_EQ(to_string(m.type), m.name);
    }
    EXPECT_EQ(names.size(), message_table().size());
}

TEST(WireMessageTable, OnlyCommitAndReportUnsatisfied_AreRestrictedToTheGraphManager) {
    for (const auto& m : message_table())
        EXPECT_EQ(m.graph_manager_only,
                  m.type == MessageType::Commit || m.type == MessageType::ReportUnsatisfied)
            << m.name;
}

TEST(WireMessageTable, OnlyHello_IsAllowedBeforeTheHandshake) {
    for (const auto& m : message_table()) EXPECT_EQ(m.before_hello, m.type == MessageType::Hello) << m.name;
}

TEST(WireMessageTable, EventsNamedByTheIssue_AreEvents) {
    for (auto name : {"state_changed", "frame_dropped", "allocator_committed", "client_gone",
                      "framing_changed", "connection_changed", "allocator_failed"}) {
        auto t = parse_message_type(name);
        ASSERT_TRUE(t.has_value()) << name;
        EXPECT_EQ(info(*t).kind, MessageKind::Event) << name;
    }
}

TEST(WireMessageTable, UnknownName_DoesNotParse) {
    EXPECT_FALSE(parse_message_type("").has_value());
    EXPECT_FALSE(parse_message_type("List").has_value());
    EXPECT_FALSE(parse_message_type("drop_tables").has_value());
}

TEST(WireMessageTable, Roles_RoundTripAndRejectOthers) {
    EXPECT_EQ(parse_role("client"), Role::Client);
    EXPECT_EQ(parse_role("graph-manager"), Role::GraphManager);
    EXPECT_EQ(parse_role(to_string(Role::GraphManager)), Role::GraphManager);
    EXPECT_FALSE(parse_role("admin").has_value());
}

}  // namespace
}  // namespace ksim::wire
