// One client's flood must not delay another client's request beyond a small bound. An in-process
// ksimd; a "victim" client measures `connections` round trips, first on a quiet daemon, then while
// a flooder pipelines requests as fast as ksimd answers them (arg 1: cheap `connections`
// requests; arg 2: `release_frame` of a frame that does not exist, refused and logged with a rate
// limit). Counters: p50/p99 in microseconds quiet and flooded, and their ratios.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <random>
#include <thread>
#include <vector>

#include "ksim/daemon/server/daemon_app.hpp"
#include "ksim/proto/topology_loader.hpp"
#include "test_client.hpp"

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr int kSamples = 2000;
constexpr int kPipelined = 64;  // requests the flooder has in flight at once

struct Percentiles {
    double p50 = 0, p99 = 0;
};
Percentiles percentiles(std::vector<double>& us) {
    std::ranges::sort(us);
    return {us[(us.size() - 1) / 2], us[static_cast<std::size_t>(0.99 * static_cast<double>(us.size() - 1))]};
}

ksim::test::TestClient connect_hello(const std::filesystem::path& socket, const char* name) {
    auto c = ksim::test::TestClient::connect(socket);
    if (!c) throw std::runtime_error(c.error().message);
    if (auto w = c->hello(ksim::wire::Role::Client, name); !w) throw std::runtime_error(w.error().message);
    return std::move(*c);
}

// Round trips of one cheap request, in microseconds.
std::vector<double> measure(ksim::test::TestClient& victim) {
    std::vector<double> us;
    us.reserve(kSamples);
    for (int i = 0; i < kSamples; ++i) {
        auto t0 = Clock::now();
        auto r = victim.request(json{{"type", "connections"}});
        if (!r) throw std::runtime_error(r.error().message);
        us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    }
    return us;
}

// Sends kPipelined requests in one write, reads their replies, until told to stop.
void flood(ksim::test::TestClient& flooder, const json& request, const std::atomic<bool>& stop,
           std::atomic<long>& sent) {
    std::string batch;
    for (int i = 0; i < kPipelined; ++i) {
        json m = request;
        m["id"] = 1'000'000 + i;
        batch += *ksim::wire::encode_frame(m);
    }
    while (!stop.load(std::memory_order_relaxed)) {
        if (!flooder.send_raw(batch)) return;
        for (int i = 0; i < kPipelined; ++i)
            if (!flooder.next_message()) return;
        sent.fetch_add(kPipelined, std::memory_order_relaxed);
    }
}

void BM_OtherClientRoundTrip(benchmark::State& state) {
    const auto dir = std::filesystem::temp_directory_path() / ("ksim-fairness-" + std::to_string(::getpid()) +
                                                               "-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir);
    ksim::daemon::server::DaemonOptions o;
    auto topology =
        ksim::proto::load_topology_file(std::filesystem::path(KSIM_CONFIGS_DIR) / "demo-capture-1080p.json");
    if (!topology) {
        state.SkipWithError("cannot load the topology");
        return;
    }
    o.topology = *topology;
    o.socket_path = dir / "ksimd.sock";
    o.handle_signals = false;
    o.notify_systemd = false;
    o.shm_prefix = "ksim-fairness-" + std::to_string(::getpid());
    auto daemon = ksim::daemon::server::DaemonApp::create(std::move(o));
    if (!daemon) {
        state.SkipWithError(daemon.error().message.c_str());
        return;
    }
    std::thread runner([&] { (*daemon)->run(); });
    const json flood_request =
        state.range(0) == 1
            ? json{{"type", "connections"}}
            : json{{"type", "release_frame"}, {"frame", {{"region", 999}, {"index", 0}, {"generation", 1}}}};
    {
        auto victim = connect_hello(dir / "ksimd.sock", "victim");
        auto flooder = connect_hello(dir / "ksimd.sock", "flooder");
        for (auto _ : state) {
            auto quiet = measure(victim);
            std::atomic<bool> stop{false};
            std::atomic<long> flooded{0};
            std::thread t([&] { flood(flooder, flood_request, stop, flooded); });
            auto loud = measure(victim);
            stop = true;
            t.join();
            auto q = percentiles(quiet);
            auto l = percentiles(loud);
            state.counters["quiet_p50_us"] = q.p50;
            state.counters["quiet_p99_us"] = q.p99;
            state.counters["flood_p50_us"] = l.p50;
            state.counters["flood_p99_us"] = l.p99;
            state.counters["ratio_p50"] = l.p50 / q.p50;
            state.counters["ratio_p99"] = l.p99 / q.p99;
            state.counters["flood_requests"] = static_cast<double>(flooded.load());
        }
    }
    (*daemon)->request_stop();
    runner.join();
    daemon->reset();
    std::filesystem::remove_all(dir);
}
BENCHMARK(BM_OtherClientRoundTrip)
    ->ArgName("flood")
    ->Arg(1)
    ->Arg(2)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
