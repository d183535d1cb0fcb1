// BenchStack: a real ksimd (spawned from the build tree, unique socket in a temp dir) running a
// generated topology of user-source -> user-sink pairs, one pair per frame size; the graph
// manager's logic (ksim_graphmgr, in-process) negotiates and commits; one libksim client then
// hosts both ends of every pair.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "ksim/client/client.hpp"
#include "ksim/client/stream.hpp"

namespace ksim::bench {

struct Pair {
    std::uint32_t frame_size = 0;
    std::unique_ptr<client::Stream> producer;
    std::unique_ptr<client::Stream> consumer;
};

class BenchStack {
public:
    // Starts everything; on failure error() says why and pairs() is empty.
    explicit BenchStack(const std::vector<std::uint32_t>& frame_sizes);
    ~BenchStack();

    [[nodiscard]] const std::string& error() const { return error_; }
    Pair* pair(std::uint32_t frame_size);

private:
    bool start(const std::vector<std::uint32_t>& frame_sizes);

    std::filesystem::path dir_;
    pid_t daemon_ = -1;
    std::unique_ptr<client::Client> client_;
    std::vector<Pair> pairs_;
    std::string error_;
};

}  // namespace ksim::bench
