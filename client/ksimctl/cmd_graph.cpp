// `ksimctl graph [--dot]`: the live graph — filters, pins, connections — with the allocator
// decision ksimd actually committed for each connection, and why its vendor allocator is not
// running when its InitializeAllocator failed.
#include <iostream>
#include <memory>

#include "allocator_failure_text.hpp"
#include "ksim/proto/framing_json.hpp"
#include "ksim/proto/memory_types.hpp"
#include "online.hpp"

namespace ksim::ctl {
namespace {

std::string memory_name(const proto::Guid& g) {
    if (auto name = proto::memory_type_name(g)) return std::string(*name);
    return nlohmann::json(g).get<std::string>();
}

std::string describe(const std::optional<wire::AllocatorDecision>& d) {
    if (!d) return "not committed";
    return std::string(wire::to_string(d->kind)) + " allocator of " + d->provider.to_string() + ", " +
           std::to_string(d->frames) + " x " + std::to_string(d->frame_size) + " B, " +
           memory_name(d->memory_type);
}

std::string dot_id(const std::string& text) {
    return nlohmann::json(text).dump();
}  // quoted, escaped

void print_dot(const std::vector<wire::FilterInfo>& filters,
               const std::vector<wire::ConnectionInfo>& connections) {
    std::cout << "digraph ksim {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n";
    for (const auto& f : filters) {
        std::cout << "  subgraph " << dot_id("cluster_" + f.id)
                  << " {\n    label=" << dot_id(f.id + " (" + std::string(proto::to_string(f.kind)) + ")")
                  << ";\n";
        for (const auto& p : f.pins)
            std::cout << "    " << dot_id(f.id + "." + p.id) << " [label="
                      << dot_id(p.id + "\n" + std::string(proto::to_string(p.hosting)) + ", " +
                                std::string(proto::to_string(p.state)))
                      << "];\n";
        std::cout << "  }\n";
    }
    for (const auto& c : connections)
        std::cout << "  " << dot_id(c.from.to_string()) << " -> " << dot_id(c.to.to_string()) << " [label="
                  << dot_id(describe(c.decision) +
                            (c.allocator_failure ? "\nallocator failed: " + c.allocator_failure->status_name
                                                 : ""))
                  << (c.decision ? "" : ", style=dashed") << (c.allocator_failure ? ", color=red" : "")
                  << "];\n";
    std::cout << "}\n";
}

int run_graph(const GlobalOptions& global, bool dot) {
    auto client = connect_or_report(global);
    if (!client) return kExitError;
    auto filters = client->list();
    if (!filters) return report_error("list", filters.error());
    auto connections = client->connections();
    if (!connections) return report_error("connections", connections.error());
    if (dot) {
        print_dot(*filters, *connections);
    } else if (global.json) {
        print_json({{"filters", nlohmann::json(*filters)}, {"connections", nlohmann::json(*connections)}});
    } else {
        for (const auto& c : *connections) {
            std::cout << c.from.to_string() << " -> " << c.to.to_string() << "  [" << describe(c.decision)
                      << "]\n";
            if (c.allocator_failure)
                std::cout << "    allocator failed: " << describe_failure(*c.allocator_failure) << "\n";
        }
        if (connections->empty()) std::cout << "(no connections)\n";
    }
    return kExitOk;
}

}  // namespace

void add_graph_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
    auto* cmd =
        app.add_subcommand("graph", "The live graph with the allocator decisions committed per connection");
    auto dot = std::make_shared<bool>(false);
    cmd->add_flag("--dot", *dot, "Graphviz DOT output (render with `dot -Tsvg`)");
    cmd->callback([&global, &exit_code, dot] { exit_code = run_graph(global, *dot); });
}

}  // namespace ksim::ctl
