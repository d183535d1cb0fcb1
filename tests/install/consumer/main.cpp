// A libksim consumer: resolves the socket path and connects to a daemon that is not there, which
// must fail with a specific error naming the path. It compiles only against installed headers and
// links only installed libraries (Client::connect pulls in ksim_wire, ksim_shm, ksim_proto, fmt).
//
//   ksim_consumer SOCKET    exit 0 when every check holds, 1 (with the reason on stderr) otherwise
#include <iostream>
#include <string>

#include "ksim/client/client.hpp"
#include "ksim/client/socket_path.hpp"

namespace {

int report_mismatch(const std::string& what, const std::string& got, const std::string& expected) {
    std::cerr << "ksim_consumer: " << what << ": got \"" << got << "\", expected \"" << expected << "\"\n";
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: ksim_consumer SOCKET\n";
        return 2;
    }
    const std::string socket = argv[1];
    if (auto resolved = ksim::client::resolve_socket_path(socket); resolved != socket)
        return report_mismatch("resolve_socket_path(explicit)", resolved, socket);
    if (auto resolved = ksim::client::resolve_socket_path("");
        resolved != ksim::client::default_socket_path())
        return report_mismatch("resolve_socket_path(\"\")", resolved, ksim::client::default_socket_path());

    auto client = ksim::client::Client::connect({.socket_path = socket, .name = "ksim-install-consumer"});
    if (client) return report_mismatch("connect", "a connection", "no daemon at " + socket);
    const ksim::Error& e = client.error();
    if (e.code != ksim::Errc::Disconnected)
        return report_mismatch("error code", std::string(ksim::to_string(e.code)), "disconnected");
    if (e.message.find("cannot connect to ksimd at " + socket) == std::string::npos)
        return report_mismatch("error message", e.message, "cannot connect to ksimd at " + socket + ": ...");
    std::cout << "ksim_consumer: " << ksim::to_string(e.code) << ": " << e.message << "\n";
    return 0;
}
