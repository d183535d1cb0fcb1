#include "online.hpp"

#include <algorithm>
#include <iostream>

namespace ksim::ctl {

std::optional<client::Client> connect_or_report(const GlobalOptions& global, wire::Role role,
                                                std::optional<client::ReconnectPolicy> reconnect) {
    client::ConnectOptions options;
    options.reconnect = std::move(reconnect);
    options.socket_path = client::resolve_socket_path(global.socket);
    options.name = "ksimctl";
    options.role = role;
    auto connected = client::Client::connect(options);
    if (!connected) {
        std::cerr << "ksimctl: " << connected.error().message << "\n";
        if (connected.error().code == Errc::Disconnected)
            std::cerr << "  (is ksimd running? start it with `ksimd --config FILE`, or pass --socket PATH)\n";
        return std::nullopt;
    }
    return std::move(*connected);
}

int report_error(const std::string& what, const Error& error) {
    std::cerr << "ksimctl: " << what << ": " << error.message << " [" << to_string(error.code) << "]\n";
    return kExitError;
}

std::optional<proto::PinRef> parse_pin_or_report(const std::string& text) {
    auto pin = proto::parse_pin_ref(text);
    if (!pin)
        std::cerr << "ksimctl: '" << text << "' is not a pin; expected FILTER.PIN, e.g. camera.capture\n";
    return pin;
}

void print_json(const nlohmann::json& value) {
    std::cout << value.dump(2) << "\n";
}

void Table::print(std::ostream& out) const {
    std::vector<std::size_t> widths;
    for (const auto& row : rows_) {
        widths.resize(std::max(widths.size(), row.size()), 0);
        for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
    }
    for (const auto& row : rows_) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size()) line.append(widths[i] - row[i].size() + 2, ' ');
        }
        out << line << "\n";
    }
}

}  // namespace ksim::ctl
