#include "daemon_fixture.hpp"

#include "ksim/proto/topology_loader.hpp"

namespace ksim::test {

proto::Topology load_config(const std::string& name) {
    auto t = proto::load_topology_file(std::filesystem::path(KSIM_CONFIGS_DIR) / name);
    if (!t) throw std::runtime_error("cannot load " + name + ": " + t.error().front().to_string());
    return *t;
}

daemon::server::DaemonOptions DaemonFixture::default_options() const {
    daemon::server::DaemonOptions o;
    o.topology = load_config("demo-capture-1080p.json");
    o.socket_path = dir_.path() / "ksimd.sock";
    o.handle_signals = false;  // the test process keeps its own signal handling
    o.notify_systemd = false;
    o.shm_prefix = "ksim-test-" + std::to_string(::getpid());
    return o;
}

void DaemonFixture::SetUp() {
    socket_ = dir_.path() / "ksimd.sock";
    if (start_in_setup()) start(default_options());
}

void DaemonFixture::start(daemon::server::DaemonOptions options) {
    socket_ = options.socket_path;
    auto d = daemon::server::DaemonApp::create(std::move(options));
    ASSERT_TRUE(d.has_value()) << d.error().message;
    daemon_ = std::move(*d);
    runner_ = std::thread([this] { daemon_->run(); });
}

void DaemonFixture::TearDown() {
    if (!daemon_) return;
    daemon_->request_stop();
    runner_.join();
    daemon_.reset();
    EXPECT_FALSE(std::filesystem::exists(socket_)) << "socket left behind: " << socket_;
}

TestClient DaemonFixture::connect() {
    auto c = TestClient::connect(socket_);
    if (!c) throw std::runtime_error(c.error().message);
    return std::move(*c);
}

TestClient DaemonFixture::connect_with_hello(wire::Role role) {
    auto c = connect();
    auto welcome = c.hello(role);
    if (!welcome || !(*welcome)["ok"].get<bool>())
        throw std::runtime_error("hello failed: " + (welcome ? welcome->dump() : welcome.error().message));
    return c;
}

std::string error_code(const nlohmann::json& reply) {
    if (reply.value("ok", false)) return "";
    return reply.at("error").at("code").get<std::string>();
}

}  // namespace ksim::test
