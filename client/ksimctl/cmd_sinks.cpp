// `ksimctl sinks FILE [--json]`: offline, the pins a config's frames end up on, with their
// hosting, the media that reaches them and the pins upstream of them. One line per sink,
//   PIN HOSTING MEDIA UPSTREAM
// MEDIA is FORMAT:WIDTHxHEIGHT for video, PCM:RATE:CHANNELS:BITS for audio, "-" when no filter
// upstream declares one; UPSTREAM is a comma-separated list, nearest first. The fields contain
// no blanks, so a shell reads them with `read -r pin hosting media upstream`.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "offline_config.hpp"
#include "sinks.hpp"

namespace ksim::ctl {
namespace {

std::string media_text(const Sink& s) {
    if (s.video)
        return fmt::format("{}:{}x{}", proto::to_string(s.video->format), s.video->width, s.video->height);
    if (s.audio)
        return fmt::format("PCM:{}:{}:{}", s.audio->sample_rate, s.audio->channels, s.audio->bits_per_sample);
    return "-";
}

nlohmann::json to_json(const Sink& s) {
    nlohmann::json upstream = nlohmann::json::array();
    for (const auto& p : s.upstream) upstream.push_back(p.to_string());
    nlohmann::json out = {{"pin", s.pin.to_string()},
                          {"hosting", proto::to_string(s.hosting)},
                          {"video", nullptr},
                          {"audio", nullptr},
                          {"upstream", upstream}};
    if (s.video)
        out["video"] = {{"format", proto::to_string(s.video->format)},
                        {"width", s.video->width},
                        {"height", s.video->height}};
    if (s.audio)
        out["audio"] = {{"sample_rate", s.audio->sample_rate},
                        {"channels", s.audio->channels},
                        {"bits_per_sample", s.audio->bits_per_sample}};
    return out;
}

int run_sinks(const std::string& file, bool json) {
    const OfflineConfig config = load_offline(file);
    if (!config.topology) return report_invalid(config.topology.error(), json, "no sinks listed");
    const auto sinks = find_sinks(*config.topology);
    if (json) {
        nlohmann::json all = nlohmann::json::array();
        for (const auto& s : sinks) all.push_back(to_json(s));
        std::cout << all.dump(2) << "\n";
        return kExitOk;
    }
    for (const auto& s : sinks) {
        std::string upstream;
        for (const auto& p : s.upstream) upstream += (upstream.empty() ? "" : ",") + p.to_string();
        std::cout << s.pin.to_string() << " " << proto::to_string(s.hosting) << " " << media_text(s) << " "
                  << (upstream.empty() ? "-" : upstream) << "\n";
    }
    return kExitOk;
}

}  // namespace

void add_sinks_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
    auto* cmd = app.add_subcommand(
        "sinks", "Where a config's frames end: each sink pin with its hosting, media and upstream pins");
    auto file = std::make_shared<std::string>();
    cmd->add_option("file", *file, "Topology JSON file")->required();
    cmd->callback([file, &global, &exit_code] { exit_code = run_sinks(*file, global.json); });
}

}  // namespace ksim::ctl
