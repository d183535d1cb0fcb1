// `ksimctl monitor [--json]`: ksimd's event stream as it happens, like pw-mon — every event
// (state changes, drops, commits, clients going, framing and connection changes, allocator
// failures, verifier violations) one line each, until Ctrl-C. --json: one JSON object per line (the event's
// wire body with "type" and "time_ns", ksimctl's steady clock when it read it).
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>

#include "online.hpp"

namespace ksim::ctl {
namespace {

std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free, "set from a signal handler");

extern "C" void on_stop_signal(int) {
    g_stop.store(true);
}

// "camera.capture", "camera.capture -> viewer.input" or "client 3": what the event is about.
std::string subject(const nlohmann::json& body) {
    auto text = [](const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); };
    if (body.contains("pin")) return text(body["pin"]);
    if (body.contains("from") && body.contains("to")) return text(body["from"]) + " -> " + text(body["to"]);
    if (body.contains("client_id")) return "client " + text(body["client_id"]);
    return "-";
}

// One line a person reads: time, event type, subject, then what changed.
std::string describe(const client::Event& e) {
    const auto& b = e.body;
    using T = wire::MessageType;
    std::string what;  // the events whose change is not all in `detail`
    if (e.type == T::StateChanged)
        what = b.value("state", "?");
    else if (e.type == T::ConnectionChanged)
        what = b.value("connected", false) ? "connected" : "removed";
    else if (e.type == T::FramingChanged)
        what = b.contains("framing") ? "framing set" : "framing gone";
    else if (e.type == T::AllocatorFailed && b.contains("failure"))
        what = b["failure"].value("status_name", "");
    else if (e.type == T::VerifierViolation && b.contains("violation"))
        what = b["violation"].value("rule", "") + " in " + b["violation"].value("routine", "");
    const std::string detail = b.value("detail", "");
    std::string line = fmt::format("{:<20} {}", wire::to_string(e.type), subject(b));
    if (!what.empty()) line += " " + what;
    if (!detail.empty()) line += " (" + detail + ")";
    return line;
}

std::string clock_text() {
    const auto now = std::chrono::system_clock::now();
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    const std::time_t t = std::chrono::system_clock::to_time_t(now);
    std::tm tm{};
    ::localtime_r(&t, &tm);
    return fmt::format("{:02}:{:02}:{:02}.{:03}", tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

int run_monitor(const GlobalOptions& global) {
    auto client = connect_or_report(global);
    if (!client) return kExitError;
    auto& connection = client->connection();
    if (auto s = connection.subscribe(); !s) return report_error("subscribe", s.error());
    std::signal(SIGINT, on_stop_signal);
    std::signal(SIGTERM, on_stop_signal);
    // On stderr, so that stdout holds events only; a script may wait for this line.
    std::cerr << "ksimctl: monitoring ksimd at " << connection.socket_path() << " (Ctrl-C to stop)"
              << std::endl;
    while (!g_stop.load()) {
        // A bounded wait, only so that a signal is noticed: nothing is sent when it expires.
        auto event = connection.next_event(std::chrono::milliseconds(200));
        if (!event) {
            if (event.error().code == Errc::Timeout) continue;
            return report_error("monitor", event.error());
        }
        if (global.json) {
            nlohmann::json line = event->body;
            line["type"] = wire::to_string(event->type);
            line["time_ns"] = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::steady_clock::now().time_since_epoch())
                                  .count();
            std::cout << line.dump() << std::endl;
        } else {
            std::cout << clock_text() << " " << describe(*event) << std::endl;
        }
    }
    return kExitOk;
}

}  // namespace

void add_monitor_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
    auto* cmd =
        app.add_subcommand("monitor", "Print ksimd's events as they happen until Ctrl-C (like pw-mon)");
    cmd->callback([&global, &exit_code] { exit_code = run_monitor(global); });
}

}  // namespace ksim::ctl
