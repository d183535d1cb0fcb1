// Where a topology's frames end up: its sink pins, what reaches them and what must run for it.
// `ksimctl sinks` prints this; scripts/run-demo-stack.sh reads it to decide what to show.
#pragma once

#include <optional>
#include <vector>

#include "ksim/proto/topology.hpp"

namespace ksim::ctl {

struct Sink {
    proto::PinRef pin;  // a connected input pin of a filter none of whose outputs is connected
    proto::PinHosting hosting = proto::PinHosting::Kernel;
    // The media of the nearest filter upstream that declares one ("video" / "audio" in the
    // config); neither when no filter upstream does.
    std::optional<proto::VideoParams> video;
    std::optional<proto::AudioParams> audio;
    // Every pin frames cross on their way to `pin`, nearest first: the peer of `pin`, then that
    // filter's connected inputs and their peers, and so on. Running `pin` and then these, in
    // order, starts the stream from the sink end, as a KS graph is started.
    std::vector<proto::PinRef> upstream;
};

// In the order of the connections that reach them.
std::vector<Sink> find_sinks(const proto::Topology& topology);

}  // namespace ksim::ctl
