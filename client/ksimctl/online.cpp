#include "online.hpp"

#include <algorithm>
#include <iostream>

#include "error_output.hpp"
#include "ksim/proto/pin_lookup.hpp"

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
        report_failure("", connected.error());
        if (connected.error().code == Errc::Disconnected && !json_errors())
            std::cerr << "  (is ksimd running? start it with `ksimd --config FILE`, or pass --socket PATH "
                         "or set KSIM_SOCKET)\n";
        return std::nullopt;
    }
    return std::move(*connected);
}

int report_error(const std::string& what, const Error& error) {
    return report_failure(what, error);
}

std::optional<proto::PinRef> parse_pin_or_report(const std::string& text) {
    auto pin = proto::parse_pin_ref(text);
    if (!pin)
        report_failure("",
                       Error{Errc::InvalidArgument,
                             "'" + text + "' is not a pin; expected FILTER.PIN, e.g. camera.capture"},
                       kUsageRule, kExitUsage);
    return pin;
}

Result<void> check_pin_known(client::Client& client, const proto::PinRef& pin) {
    auto filters = client.list();
    if (!filters) return std::unexpected(filters.error());
    std::vector<proto::FilterPinIds> graph;
    for (const auto& f : *filters) {
        auto& ids = graph.emplace_back(proto::FilterPinIds{f.id, {}});
        for (const auto& p : f.pins) {
            if (f.id == pin.filter && p.id == pin.pin) return {};
            ids.pins.push_back(p.id);
        }
    }
    return fail(Errc::NotFound, proto::describe_unknown_pin(pin, graph).to_string());
}

nlohmann::json pin_properties(client::Client& client, const proto::PinRef& pin) {
    nlohmann::json out = nlohmann::json::object();
    for (auto property : {wire::PropertyId::AllocatorFramingEx, wire::PropertyId::AllocatorFraming,
                          wire::PropertyId::StreamAllocatorStatus, wire::PropertyId::ConnectionState,
                          wire::PropertyId::Statistics, wire::PropertyId::DataFormat}) {
        const std::string name(wire::to_string(property));
        auto reply = client.get_property(pin, property);
        if (!reply) {
            out[name] = {
                {"error", {{"code", to_string(reply.error().code)}, {"message", reply.error().message}}}};
            continue;
        }
        nlohmann::json body = *reply;
        body.erase("pin");
        body.erase("property");
        out[name] = body.size() == 1 ? body.begin().value() : body;
    }
    return out;
}

int report_unknown_pin(const std::string& pin_text, const Error& error) {
    return report_failure(pin_text, error,
                          error.code == Errc::NotFound ? kUnknownPinRule : std::string_view{});
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
