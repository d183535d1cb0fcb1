// The peer rows: Eclipse iceoryx 2.0 ping-pong per frame size (iceoryx_bench.cpp), registered
// ahead of the ksim rows so that those can divide by them (peer_baselines.hpp).
#pragma once

namespace ksim::bench {

// Registers BM_IceoryxPingPong/size:N/mode:blocking|busy for every frame size. Without iceoryx
// (built without KSIM_BENCH_ICEORYX) it registers nothing; iceoryx_skip_note() then says so.
void register_iceoryx_rows();
// nullptr when the iceoryx rows are built, else the note the bench prints once.
const char* iceoryx_skip_note();

}  // namespace ksim::bench
