// In-process Kernel fixture: small topologies built in code, a fake clock (no streaming threads;
// tests move time and call Kernel::advance_time), and recording EventSink / UserPinPort.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "ksim/daemon/kernel.hpp"

namespace ksim::daemon::testing {

// The client every single-client kernel test acts as.
inline constexpr ClientId kClient = 7;

struct RecordingEvents : EventSink {
    void on_event(const KernelEvent& e) override {
        std::lock_guard lock(mutex);
        events.push_back(e);
    }
    std::vector<KernelEvent> of(KernelEvent::Type t) const {
        std::lock_guard lock(mutex);
        std::vector<KernelEvent> out;
        for (const auto& e : events)
            if (e.type == t) out.push_back(e);
        return out;
    }
    mutable std::mutex mutex;
    std::vector<KernelEvent> events;
};

struct Delivered {
    ClientId owner;
    PinRef pin;
    shm::FrameDescriptor frame;
    proto::StreamHeader header;
};

struct RecordingPort : UserPinPort {
    bool deliver(ClientId owner, const PinRef& pin, const shm::FrameDescriptor& f,
                 const proto::StreamHeader& h) override {
        std::lock_guard lock(mutex);
        if (!accept) return false;
        delivered.push_back(Delivered{owner, pin, f, h});
        return true;
    }
    std::mutex mutex;
    bool accept = true;
    std::vector<Delivered> delivered;
};

inline constexpr proto::Guid kVendorDma = proto::make_guid("6B1F5A3C-2D4E-4F70-9A81-5C3D2E1F0A01");
inline constexpr std::uint32_t kWidth = 64, kHeight = 48;
inline constexpr std::uint32_t kImage = kWidth * kHeight * 3 / 2;  // NV12
inline constexpr Ticks kPeriod = kTicksPerSecond / 30;

proto::VendorAllocatorCaps vendor_caps();
// camera (video_capture NV12 64x48 @30, pin "capture", 2 frames, optional vendor allocator)
// -> second filter "sink" (kernel_sink, or user_sink with a user-hosted pin "input").
proto::Topology camera_to_sink(bool with_vendor, proto::PinHosting sink_hosting, std::uint32_t frames = 2);
// camera -> overlay (inplace_transform) -> checker (kernel_sink)
proto::Topology inplace_chain();
// app (user_source, pin "output") -> checker (kernel_sink)
proto::Topology user_source_to_sink();
// app (user_source, "output") -> overlay (inplace_transform) -> viewer (user_sink, "input")
proto::Topology user_inplace_user();
proto::Topology user_source_user_sink();  // app -> viewer, both user-hosted: one pipe
// app (user_source, "output") -> converter (copy_transform, no "video": a byte copy) -> viewer
proto::Topology user_copy_user();
// camera (NV12 64x48) -> scaler (copy_transform, NV12 32x24 downstream) -> checker (kernel_sink)
proto::Topology copy_chain();

// The pool allocator over every connection of `t`: the user-mode allocator when a pin is user-hosted,
// else the default allocator; `memory` null means USER resp. KERNEL_NONPAGED.
AllocatorCommit default_commit(const proto::Topology& t, std::uint32_t frames = 2, proto::Guid memory = {});
// A default-allocator pipe in user memory over `connections`, its pool owned by `provider`.
AllocatorCommit user_pipe_commit(std::vector<std::pair<PinRef, PinRef>> connections, PinRef provider,
                                 std::uint32_t frame_size, std::uint32_t frames);

class KernelTest : public ::testing::Test {
protected:
    // `drivers`: the host `t` was loaded through, when it has driver filters.
    void make(const proto::Topology& t, std::shared_ptr<ddk_host::DriverHost> drivers = nullptr) {
        KernelOptions o;
        o.shm_prefix = "ksim-test";
        o.clock = clock;
        o.streaming_threads = false;
        o.drivers = std::move(drivers);
        auto k = Kernel::create(t, o, events, port);
        ASSERT_TRUE(k.has_value()) << k.error().message;
        kernel = std::move(*k);
    }
    // Advances the fake clock by `periods` frame periods, running every due tick.
    void run_periods(int periods) {
        for (int i = 0; i < periods; ++i) {
            clock->advance(kPeriod);
            kernel->advance_time();
        }
    }
    void set(const PinRef& k, proto::PinState s, ClientId c = kDaemon) {
        auto r = kernel->set_state(k, s, c);
        ASSERT_TRUE(r.has_value()) << k.to_string() << ": " << r.error().message;
    }
    PinStats stats(const PinRef& k) {
        auto s = kernel->stats(k);
        EXPECT_TRUE(s.has_value());
        return s.value_or(PinStats{});
    }

    std::shared_ptr<FakeClock> clock = std::make_shared<FakeClock>(1'000'000);
    RecordingEvents events;
    RecordingPort port;
    std::unique_ptr<Kernel> kernel;
    const PinRef camera{"camera", "capture"};
    const PinRef sink{"sink", "input"};
    // The pins of user_source_to_sink() and user_inplace_user().
    const PinRef app{"app", "output"};
    const PinRef overlay_in{"overlay", "input"};
    const PinRef overlay_out{"overlay", "output"};
    const PinRef viewer{"viewer", "input"};
};

}  // namespace ksim::daemon::testing
