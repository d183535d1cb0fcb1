// ksimd as a service: where its log goes (the journal only when stdout is the journal stream
// systemd set up) and the status line it reports to systemd.
#include <gtest/gtest.h>

#include "ksim/daemon/server/log_target.hpp"
#include "systemd_notify.hpp"

namespace ksim::daemon::server {
namespace {

TEST(LogTarget, Auto_IsTheJournalWhenJournalStreamNamesStdout) {
    EXPECT_EQ(resolve_log_target(LogTarget::Auto, "8:1234", 8, 1234), LogTarget::Journal);
}

TEST(LogTarget, Auto_IsTheConsoleWhenStdoutIsAnotherFile) {
    // A child of a service inherits JOURNAL_STREAM but may have its output redirected.
    EXPECT_EQ(resolve_log_target(LogTarget::Auto, "8:1234", 8, 99), LogTarget::Console);
    EXPECT_EQ(resolve_log_target(LogTarget::Auto, "8:1234", 9, 1234), LogTarget::Console);
}

TEST(LogTarget, Auto_IsTheConsoleWithoutJournalStream) {
    EXPECT_EQ(resolve_log_target(LogTarget::Auto, nullptr, 8, 1234), LogTarget::Console);
}

TEST(LogTarget, AnExplicitTarget_IsKept) {
    EXPECT_EQ(resolve_log_target(LogTarget::Journal, nullptr, 0, 0), LogTarget::Journal);
    EXPECT_EQ(resolve_log_target(LogTarget::Console, "8:1234", 8, 1234), LogTarget::Console);
}

TEST(LogTarget, Parse_KnowsTheThreeNames) {
    EXPECT_EQ(parse_log_target("auto"), LogTarget::Auto);
    EXPECT_EQ(parse_log_target("console"), LogTarget::Console);
    EXPECT_EQ(parse_log_target("journal"), LogTarget::Journal);
    EXPECT_EQ(parse_log_target("syslog"), std::nullopt);
}

PinSnapshot pin(std::string filter, std::string id, proto::PinState state) {
    PinSnapshot p;
    p.key = PinRef{std::move(filter), std::move(id)};
    p.state = state;
    return p;
}

TEST(ServiceStatus, CountsCommittedPipesOncePerProviderRunningPinsAndClients) {
    std::vector<FilterSnapshot> filters(2);
    filters[0].pins = {pin("cam", "out", proto::PinState::Run), pin("cam", "still", proto::PinState::Pause)};
    filters[1].pins = {pin("sink", "in", proto::PinState::Run)};
    AllocatorCommit pipe_a;
    pipe_a.provider = PinRef{"cam", "out"};
    AllocatorCommit pipe_b;
    pipe_b.provider = PinRef{"cam", "still"};
    std::vector<ConnectionSnapshot> connections(4);
    connections[0].decision = pipe_a;
    connections[1].decision = pipe_a;  // the same pipe, two connections
    connections[2].decision = pipe_b;  // connections[3]: not committed
    EXPECT_EQ(service_status(filters, connections, 1), "2 pipes committed, 2 pins running, 1 client");
    EXPECT_EQ(service_status({}, {}, 0), "0 pipes committed, 0 pins running, 0 clients");
}

}  // namespace
}  // namespace ksim::daemon::server
