// `ksimctl stats [--watch]`: a live per-pin table like pw-top — frames/s, completed, dropped,
// in flight, hand-off latency (published -> delivered to the pin or its client), how long client
// pins held their frames, and for pins with a vendor allocator (KSALLOCATOR_DISPATCH) how often
// each of its callbacks ran (and, under the table, why it is not running when its
// InitializeAllocator failed). Rates come from two samples `--interval` seconds apart.
// `--reset [PIN]` zeroes the counters instead (reset_statistics: docs/protocol.md says which).
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "allocator_failure_text.hpp"
#include "online.hpp"

namespace ksim::ctl {
namespace {

struct StatsOptions {
    bool watch = false;
    double interval_s = 1.0;
    unsigned iterations = 0;  // --watch refreshes; 0 = until interrupted
    bool reset = false;       // --reset given
    std::string reset_pin;    // its PIN; empty = every pin
};

using Sample = std::map<std::string, wire::PinStatistics>;  // by "filter.pin"

Result<Sample> sample(client::Client& client) {
    auto filters = client.list();
    if (!filters) return std::unexpected(filters.error());
    Sample out;
    for (const auto& f : *filters)
        for (const auto& p : f.pins) {
            auto stats = client.statistics(proto::PinRef{f.id, p.id});
            if (stats)
                out.emplace(f.id + "." + p.id, *stats);
            else if (stats.error().code == Errc::Disconnected)
                return std::unexpected(stats.error());
        }
    return out;
}

double rate(const Sample& before, const std::string& pin, std::uint64_t now, double seconds) {
    auto it = before.find(pin);
    if (seconds <= 0 || it == before.end() || now < it->second.completed) return 0;
    return static_cast<double>(now - it->second.completed) / seconds;
}

nlohmann::json to_json(const Sample& before, const Sample& now, double seconds) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& [pin, s] : now)
        rows.push_back({{"pin", pin},
                        {"frames_per_second", rate(before, pin, s.completed, seconds)},
                        {"completed", s.completed},
                        {"dropped", s.dropped},
                        {"in_flight", s.in_flight},
                        {"latency_avg_us", static_cast<double>(s.latency_avg_ns) / 1000.0},
                        {"latency_max_us", static_cast<double>(s.latency_max_ns) / 1000.0},
                        {"hold_avg_us", static_cast<double>(s.hold_avg_ns) / 1000.0},
                        {"hold_max_us", static_cast<double>(s.hold_max_ns) / 1000.0},
                        {"allocator", s.allocator.value_or("")}});
    for (auto& row : rows) {
        const auto& s = now.at(row["pin"].get<std::string>());
        if (s.vendor_allocator) row["vendor_allocator"] = *s.vendor_allocator;
        if (s.verifier) row["verifier_violations"] = s.verifier->total;  // details: ksimctl verifier
    }
    return rows;
}

// "dma0 init 1 alloc 40 free 40 del 0" (+ " *" while an instance exists), "-" without one.
std::string vendor_cell(const wire::PinStatistics& s) {
    if (!s.vendor_allocator) return "-";
    const auto& v = *s.vendor_allocator;
    return fmt::format("{} init {} alloc {} free {} del {}{}", v.name, v.calls.initialize, v.calls.allocate,
                       v.calls.free, v.calls.remove,
                       v.initialized    ? " *"
                       : v.last_failure ? " FAILED"
                                        : "");
}

std::string micros(std::uint64_t ns) {
    return fmt::format("{:.1f}", static_cast<double>(ns) / 1000.0);
}

// The table as lines (without line ends), so that a refresh in place can end each one with
// clear-to-end-of-line.
std::vector<std::string> table_lines(const Sample& before, const Sample& now, double seconds) {
    Table table({"PIN", "FPS", "COMPLETED", "DROPPED", "IN FLIGHT", "LAT AVG us", "LAT MAX us", "HOLD AVG us",
                 "HOLD MAX us", "ALLOCATOR", "VENDOR ALLOCATOR CALLS (* = initialized)"});
    for (const auto& [pin, s] : now)
        table.add({pin, fmt::format("{:.1f}", rate(before, pin, s.completed, seconds)),
                   std::to_string(s.completed), std::to_string(s.dropped), std::to_string(s.in_flight),
                   micros(s.latency_avg_ns), micros(s.latency_max_ns), micros(s.hold_avg_ns),
                   micros(s.hold_max_ns), s.allocator.value_or("-"), vendor_cell(s)});
    std::stringstream text;
    table.print(text);
    for (const auto& [pin, s] : now)
        if (s.vendor_allocator && s.vendor_allocator->last_failure)
            text << pin << ": allocator failed: " << describe_failure(*s.vendor_allocator->last_failure)
                 << "\n";
    std::vector<std::string> lines;
    for (std::string line; std::getline(text, line);) lines.push_back(std::move(line));
    return lines;
}

// "ksimd at PATH, every 1.0 s, 12:00:01": what a refreshing view says above the table.
std::string header(const std::string& socket, double interval_s) {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    ::localtime_r(&t, &tm);
    return fmt::format("ksimctl stats: ksimd at {}, every {:.1f} s, {:02}:{:02}:{:02}", socket, interval_s,
                       tm.tm_hour, tm.tm_min, tm.tm_sec);
}

// On a terminal, --watch redraws in place with plain ANSI (cursor home, each line cleared to its
// end, the rest of the screen cleared), like top; otherwise each refresh is appended, with its
// header, so that a log or a pipe keeps every sample.
void print_refresh(const std::vector<std::string>& lines, const std::string& head, bool watch, bool tty) {
    const bool in_place = watch && tty;
    if (in_place) std::cout << "\x1b[H";
    if (watch) std::cout << head << (in_place ? "\x1b[K\n" : "\n");
    for (const auto& line : lines) std::cout << line << (in_place ? "\x1b[K\n" : "\n");
    if (in_place) std::cout << "\x1b[J";
    if (watch && !tty) std::cout << "\n";
}

int run_reset(const GlobalOptions& global, const std::string& pin_text) {
    wire::ResetStatisticsRequest request;
    if (!pin_text.empty()) {
        request.pin = parse_pin_or_report(pin_text);
        if (!request.pin) return kExitUsage;
    }
    auto client = connect_or_report(global);
    if (!client) return kExitError;
    auto reset = client->call<wire::ResetStatisticsReply>(request);
    if (!reset)
        return reset.error().code == Errc::NotFound ? report_unknown_pin(pin_text, reset.error())
                                                    : report_error("stats --reset", reset.error());
    if (global.json)
        print_json({{"reset_pins", reset->pins}});
    else
        std::cout << "reset the statistics of " << reset->pins << " pin(s)\n";
    return kExitOk;
}

int run_stats(const GlobalOptions& global, const StatsOptions& options) {
    if (options.reset) return run_reset(global, options.reset_pin);
    auto client = connect_or_report(global);
    if (!client) return kExitError;
    const auto interval = std::chrono::duration<double>(std::max(0.0, options.interval_s));
    const bool tty = ::isatty(STDOUT_FILENO) == 1;
    auto before = sample(*client);
    if (!before) return report_error("stats", before.error());
    auto taken = std::chrono::steady_clock::now();
    if (options.watch && tty && !global.json) std::cout << "\x1b[2J";  // once; refreshes overwrite
    for (unsigned i = 0;; ++i) {
        if (interval.count() > 0) std::this_thread::sleep_for(interval);  // the sampling period itself
        auto now = sample(*client);
        if (!now) return report_error("stats", now.error());
        auto now_taken = std::chrono::steady_clock::now();
        const double seconds = std::chrono::duration<double>(now_taken - taken).count();
        if (global.json) {
            std::cout << to_json(*before, *now, seconds).dump() << "\n";
        } else {
            print_refresh(table_lines(*before, *now, seconds),
                          header(client->connection().socket_path(), options.interval_s), options.watch, tty);
        }
        std::cout.flush();
        if (!options.watch || (options.iterations != 0 && i + 1 >= options.iterations)) break;
        before = std::move(now);
        taken = now_taken;
    }
    return kExitOk;
}

}  // namespace

void add_stats_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
    auto* cmd = app.add_subcommand("stats", "Per-pin frames/s, dropped, in flight and latency (like pw-top)");
    auto options = std::make_shared<StatsOptions>();
    cmd->add_flag("--watch,-w", options->watch, "Keep refreshing until interrupted");
    cmd->add_option("--interval,-i", options->interval_s, "Seconds between samples (default 1)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--iterations,-n", options->iterations, "With --watch: stop after N refreshes");
    cmd->add_option("--reset", options->reset_pin,
                    "Zero the counters of PIN (every pin without one): completed, dropped, latency, hold")
        ->expected(0, 1);
    cmd->callback([&global, &exit_code, options, cmd] {
        options->reset = cmd->count("--reset") > 0;
        exit_code = run_stats(global, *options);
    });
}

}  // namespace ksim::ctl
