// `ksimctl negotiate FILE [--explain] [--json] [--dot]`: offline allocator negotiation.
// Exit 0 when every connection is satisfied, 3 when one fails, 2 for an invalid config.
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "ksim/negotiation/negotiate.hpp"
#include "ksim/negotiation/record_json.hpp"
#include "ksim/negotiation/render.hpp"
#include "ksim/proto/topology_loader.hpp"
#include "offline_config.hpp"

namespace ksim::ctl {
namespace {

struct NegotiateOptions {
    std::string file;
    bool explain = false;
    bool dot = false;
};

int run_negotiate(const NegotiateOptions& opt, bool json) {
    const OfflineConfig config = load_offline(opt.file);
    const auto& topology = config.topology;
    if (!topology) return report_invalid(topology.error(), json, "nothing negotiated");
    const negotiation::NegotiationResult result = negotiation::negotiate(*topology);
    if (json)
        std::cout << negotiation::to_json(result).dump(2) << "\n";
    else if (opt.dot)
        std::cout << negotiation::render_dot(result);
    else if (opt.explain)
        std::cout << negotiation::render_explain(result);
    else
        std::cout << negotiation::render_table(result);
    return result.all_satisfied() ? kExitOk : kExitUnsatisfied;
}

}  // namespace

void add_negotiate_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
    auto* cmd = app.add_subcommand(
        "negotiate",
        "Negotiate allocators for a topology offline (exit 0 satisfied, 3 a connection fails, 2 invalid)");
    auto opt = std::make_shared<NegotiateOptions>();
    cmd->add_option("file", opt->file, "Topology JSON file")->required();
    auto* explain =
        cmd->add_flag("--explain", opt->explain, "Explain every decision and rejection in plain language");
    auto* dot = cmd->add_flag("--dot", opt->dot, "Print a Graphviz graph of the decisions");
    explain->excludes(dot);
    cmd->callback([opt, &global, &exit_code] { exit_code = run_negotiate(*opt, global.json); });
}

}  // namespace ksim::ctl
