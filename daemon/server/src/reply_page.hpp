// One page of a paged reply (list, connections, ledger): the entries of its array from `offset`,
// at most `max_entries`, and no more than fit in one message next to the reply's other fields,
// so that such a reply never exceeds wire::kMaxMessageBytes (docs/protocol.md, "Reply sizes").
// Pure: no I/O, no kernel; io_context thread (the request handler).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "ksim/proto/error.hpp"

namespace ksim::daemon::server {

// Room the envelope ("type", "id" up to 20 digits, "ok") takes next to the body fields.
inline constexpr std::size_t kEnvelopeReserve = 128;

// The bytes of `reply` (with an empty array) as the last page of a long reply: with the widest
// `next_offset` it may carry, plus the envelope.
template <typename Reply>
std::size_t page_frame_bytes(Reply reply) {
    reply.next_offset = std::numeric_limits<std::uint32_t>::max();
    reply.more = true;
    return nlohmann::json(reply).dump().size() + kEnvelopeReserve;
}

struct PageRequest {
    std::string_view reply;   // the request's wire name, for the too_large message
    std::size_t frame_bytes;  // page_frame_bytes of the reply around the array
    std::size_t offset;
    std::size_t max_entries;
    std::size_t count;  // entries in all; an offset at or past it is an empty last page
};

struct Page {
    nlohmann::json entries = nlohmann::json::array();
    std::optional<std::uint32_t> next_offset;  // set unless this is the last page
};

// `entry(i)` makes entry i; `describe(i)` names it for the too_large refusal of an entry that
// alone does not fit in a message (the first of its page). Errors: TooLarge.
Result<Page> fill_page(const PageRequest& request, const std::function<nlohmann::json(std::size_t)>& entry,
                       const std::function<std::string(std::size_t)>& describe);

}  // namespace ksim::daemon::server
