// Where a NegotiationResult keeps its variable-size data (ids, pin lists, candidates, findings).
//
// A result owns one RecordArena: a bump allocator over a few large chunks, released all at once
// when the result dies. The record strings and vectors use RecordAllocator, which allocates from
// the arena of the result being built (negotiate() and from_json() open a RecordArena::Scope on
// their thread while they build it) and from the heap otherwise. Chunks released by a result go
// to a process-wide cache (bounded, see kCachedBytesLimit) and are reused by the next result, so
// a graph manager that renegotiates a large graph does not page the same memory back in each
// time (glibc returns the freed top of the heap to the kernel).
//
// Lifetime rules, in one line each:
//   - a result is self-contained: it stays valid after the Graph (and the engine) are gone;
//   - copying a record or a result copies its data to the heap (a copy outlives the original);
//   - a record *moved* out of a result keeps pointing into that result's arena: keep the result
//     alive while it is used, or copy instead of moving.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ksim::negotiation {

class RecordArena {
public:
    // Released chunks the process keeps for reuse, over all results and threads.
    static constexpr std::size_t kCachedBytesLimit = std::size_t{64} << 20;

    RecordArena() = default;
    RecordArena(const RecordArena&) = delete;
    RecordArena& operator=(const RecordArena&) = delete;
    ~RecordArena();  // returns the chunks to the cache

    // Never fails but by std::bad_alloc; the memory lives until the arena dies. `alignment` is a
    // power of two up to alignof(std::max_align_t), the alignment of every chunk.
    void* allocate(std::size_t bytes, std::size_t alignment) {
        const std::size_t at = (used_ + alignment - 1) & ~(alignment - 1);
        if (at + bytes > capacity_) return allocate_slow(bytes, alignment);
        used_ = at + bytes;
        return base_ + at;
    }
    // Bytes handed out so far (for tests and measurements).
    [[nodiscard]] std::size_t allocated_bytes() const { return total_ + used_; }

    // Makes `arena` the target of RecordAllocator's default constructor on this thread for the
    // scope's lifetime (nests; nullptr = the heap).
    class Scope {
    public:
        explicit Scope(RecordArena* arena);
        ~Scope();
        Scope(const Scope&) = delete;
        Scope& operator=(const Scope&) = delete;

    private:
        RecordArena* previous_;
    };
    // The arena of this thread's innermost Scope, or nullptr.
    static RecordArena* current() noexcept;

private:
    struct Chunk {
        std::byte* data;
        std::size_t size;
    };
    void* allocate_slow(std::size_t bytes, std::size_t alignment);

    std::byte* base_ = nullptr;
    std::size_t used_ = 0;
    std::size_t capacity_ = 0;
    std::size_t total_ = 0;      // bytes handed out from the chunks before the current one
    std::vector<Chunk> chunks_;  // every chunk, the current one last
};

// An allocator bound to one arena (or to the heap when the arena is null). Default-constructed
// it takes the current scope's arena; a copied container goes to the current scope too (the
// heap outside negotiate()/from_json()). It moves and swaps with its container, so a moved
// result keeps its storage; copy assignment keeps the target's own storage.
template <class T>
class RecordAllocator {
    static_assert(alignof(T) <= alignof(std::max_align_t), "arena chunks are max_align_t-aligned");

public:
    using value_type = T;
    using propagate_on_container_copy_assignment = std::false_type;
    using propagate_on_container_move_assignment = std::true_type;
    using propagate_on_container_swap = std::true_type;
    using is_always_equal = std::false_type;

    RecordAllocator() noexcept : arena_(RecordArena::current()) {}
    explicit RecordAllocator(RecordArena* arena) noexcept : arena_(arena) {}
    template <class U>
    RecordAllocator(const RecordAllocator<U>& other) noexcept : arena_(other.arena()) {}

    T* allocate(std::size_t n) {
        if (arena_) return static_cast<T*>(arena_->allocate(n * sizeof(T), alignof(T)));
        return std::allocator<T>{}.allocate(n);
    }
    void deallocate(T* p, std::size_t n) noexcept {
        if (!arena_) std::allocator<T>{}.deallocate(p, n);  // arena memory goes with the arena
    }
    RecordAllocator select_on_container_copy_construction() const noexcept { return RecordAllocator(); }
    [[nodiscard]] RecordArena* arena() const noexcept { return arena_; }

    template <class U>
    friend bool operator==(const RecordAllocator& a, const RecordAllocator<U>& b) noexcept {
        return a.arena_ == b.arena();
    }

private:
    RecordArena* arena_;
};

using RecordString = std::basic_string<char, std::char_traits<char>, RecordAllocator<char>>;
template <class T>
using RecordVector = std::vector<T, RecordAllocator<T>>;

// Record strings compare with std::string (found by argument-dependent lookup; either order).
inline bool operator==(const RecordString& a, const std::string& b) noexcept {
    return std::string_view(a) == std::string_view(b);
}

}  // namespace ksim::negotiation
