// ContentGenerator: what the simulated capture hardware renders into its DMA mappings on each
// tick (content.hpp has the video and audio generators). Its own header so that the content
// code and the hardware know only this seam, not each other.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "ksim/daemon/clock.hpp"

namespace ksim::daemon {

// What one tick renders (the overlay shows frame number, time and skipped count).
struct RenderInfo {
    std::uint64_t frame_number = 0;  // ticks that produced an image so far, starting at 0
    Ticks timestamp = 0;             // tick time relative to start (100 ns)
    std::uint64_t skipped = 0;
};

// Synthesises one image or audio period per tick.
class ContentGenerator {
public:
    virtual ~ContentGenerator() = default;
    [[nodiscard]] virtual std::uint32_t image_size() const = 0;
    virtual void render(std::span<std::byte> out, const RenderInfo& info) = 0;
};

}  // namespace ksim::daemon
