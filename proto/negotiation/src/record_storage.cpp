// RecordArena: chunks of power-of-two sizes, taken from and returned to one process-wide cache.
// The cache is what keeps a renegotiated result's pages resident: a result of the same shape
// asks for the same chunk sizes, and finds them in the cache already faulted in.
#include "ksim/negotiation/record_storage.hpp"

#include <array>
#include <bit>
#include <mutex>
#include <new>

namespace ksim::negotiation {
namespace {

constexpr std::size_t kFirstChunk = std::size_t{64} << 10;    // a small graph's whole result
constexpr std::size_t kLargestGrowth = std::size_t{4} << 20;  // chunk sizes double up to this
constexpr unsigned kClasses = 40;                             // size classes 2^0 .. 2^39

// Released chunks by size class, bounded by RecordArena::kCachedBytesLimit in total. One mutex:
// it is taken once per chunk (a handful per result), never per allocation.
class ChunkCache {
public:
    std::byte* take(std::size_t size) {
        {
            std::lock_guard lock(mutex_);
            auto& list = free_[class_of(size)];
            if (!list.empty()) {
                std::byte* p = list.back();
                list.pop_back();
                cached_ -= size;
                return p;
            }
        }
        return static_cast<std::byte*>(::operator new (size, std::align_val_t{alignof(std::max_align_t)}));
    }

    void give(std::byte* p, std::size_t size) noexcept {
        {
            std::lock_guard lock(mutex_);
            if (cached_ + size <= RecordArena::kCachedBytesLimit) {
                try {
                    free_[class_of(size)].push_back(p);
                    cached_ += size;
                    return;
                } catch (const std::bad_alloc&) {
                    // fall through: free it
                }
            }
        }
        ::operator delete (p, std::align_val_t{alignof(std::max_align_t)});
    }

private:
    static unsigned class_of(std::size_t size) { return static_cast<unsigned>(std::countr_zero(size)); }

    std::mutex mutex_;
    std::size_t cached_ = 0;
    std::array<std::vector<std::byte*>, kClasses> free_;
};

ChunkCache& cache() {
    // Never destroyed: results with static storage duration may release chunks at exit.
    static ChunkCache* c = new ChunkCache;
    return *c;
}

thread_local RecordArena* current_arena = nullptr;

}  // namespace

RecordArena::~RecordArena() {
    for (const Chunk& c : chunks_) cache().give(c.data, c.size);
}

void* RecordArena::allocate_slow(std::size_t bytes, std::size_t alignment) {
    // Doubling keeps the chunk count logarithmic; rounding to a power of two lets the cache
    // match a released chunk to the next request of the same class.
    const std::size_t grown =
        chunks_.empty() ? kFirstChunk : std::min(chunks_.back().size * 2, kLargestGrowth);
    const std::size_t size = std::bit_ceil(std::max(grown, bytes + alignment));
    chunks_.reserve(chunks_.size() + 1);
    std::byte* data = cache().take(size);
    chunks_.push_back({data, size});
    total_ += used_;
    base_ = data;
    capacity_ = size;
    used_ = 0;
    return allocate(bytes, alignment);
}

RecordArena::Scope::Scope(RecordArena* arena) : previous_(current_arena) {
    current_arena = arena;
}

RecordArena::Scope::~Scope() {
    current_arena = previous_;
}

RecordArena* RecordArena::current() noexcept {
    return current_arena;
}

}  // namespace ksim::negotiation
