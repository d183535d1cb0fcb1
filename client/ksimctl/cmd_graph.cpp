// `ksimctl graph [--dot]`: the live graph — filters, pins, connections — with the allocator
// decision ksimd actually committed for each connection, and why its vendor allocator is not
// running when its InitializeAllocator failed. --dot also says why the other candidates were
// rejected and why an uncommitted connection fails: it reads what the graph manager reads
// (ksim-graphmgr's snapshot) and runs the same engine on it, so its records are the graph
// manager's, drawn by the renderer `ksimctl negotiate --dot` uses.
#include <iostream>
#include <memory>

#include "allocator_failure_text.hpp"
#include "daemon_snapshot.hpp"
#include "graph_builder.hpp"
#include "ksim/negotiation/negotiate.hpp"
#include "ksim/negotiation/record.hpp"
#include "ksim/negotiation/render.hpp"
#include "online.hpp"

namespace ksim::ctl {
namespace {

// "vendor allocator vendor_dma of camera.capture, 4 x 3110400 B, VENDOR_DMA": the vendor
// allocator by its KSALLOCATOR_DISPATCH name, the memory type by its name (custom ones too).
std::string describe(const std::optional<wire::AllocatorDecision>& d, const graphmgr::DaemonSnapshot& s) {
    if (!d) return "not committed";
    std::string kind = std::string(wire::to_string(d->kind)) + " allocator";
    if (d->kind == wire::AllocatorKind::Vendor)
        if (const wire::PinInfo* p = s.find_pin(d->provider.to_string()); p && p->vendor_allocator)
            kind = "vendor allocator " + *p->vendor_allocator;
    return kind + " of " + d->provider.to_string() + ", " + std::to_string(d->frames) + " x " +
           std::to_string(d->frame_size) + " B, " +
           negotiation::memory_type_label(d->memory_type, s.memory_types);
}

negotiation::LiveGraph live_view(const graphmgr::DaemonSnapshot& s) {
    negotiation::LiveGraph live;
    live.title = "ksimd: " + s.topology;
    for (const auto& f : s.filters)
        for (const auto& p : f.pins)
            live.pins.emplace_back(f.id + "." + p.id,
                                   std::string(proto::to_string(p.hosting)) + ", " +
                                       std::string(proto::to_string(p.state)) +
                                       (p.owner != 0 ? ", hosted by client " + std::to_string(p.owner) : ""));
    for (const auto& c : s.connections) {
        negotiation::LiveConnection l{c.from.to_string(), c.to.to_string(), std::nullopt, std::nullopt};
        if (c.decision) l.committed = describe(c.decision, s);
        if (c.allocator_failure) l.failure = describe_failure(*c.allocator_failure);
        live.connections.push_back(std::move(l));
    }
    return live;
}

int print_dot(const graphmgr::DaemonSnapshot& snapshot) {
    const graphmgr::BuiltGraph built = graphmgr::build_graph(snapshot);
    auto result = negotiation::negotiate(built.graph);
    if (!result) return report_error("negotiate the live graph", result.error());
    for (const auto& w : built.warnings) std::cerr << "ksimctl: graph: " << w << "\n";
    const negotiation::LiveGraph live = live_view(snapshot);
    std::cout << negotiation::render_dot(*result, &live);
    return kExitOk;
}

int run_graph(const GlobalOptions& global, bool dot) {
    auto client = connect_or_report(global);
    if (!client) return kExitError;
    auto snapshot = graphmgr::read_snapshot(*client);
    if (!snapshot) return report_error("graph", snapshot.error());
    if (dot) return print_dot(*snapshot);
    if (global.json) {
        print_json({{"filters", nlohmann::json(snapshot->filters)},
                    {"connections", nlohmann::json(snapshot->connections)}});
        return kExitOk;
    }
    for (const auto& c : snapshot->connections) {
        std::cout << c.from.to_string() << " -> " << c.to.to_string() << "  ["
                  << describe(c.decision, *snapshot) << "]\n";
        if (c.allocator_failure)
            std::cout << "    allocator failed: " << describe_failure(*c.allocator_failure) << "\n";
    }
    if (snapshot->connections.empty()) std::cout << "(no connections)\n";
    return kExitOk;
}

}  // namespace

void add_graph_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
    auto* cmd =
        app.add_subcommand("graph", "The live graph with the allocator decisions committed per connection");
    auto dot = std::make_shared<bool>(false);
    cmd->add_flag("--dot", *dot,
                  "Graphviz DOT output (render with `dot -Tsvg`): also the rejected candidates and why an "
                  "uncommitted connection fails");
    cmd->callback([&global, &exit_code, dot] { exit_code = run_graph(global, *dot); });
}

}  // namespace ksim::ctl
