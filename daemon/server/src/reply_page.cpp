#include "reply_page.hpp"

#include "ksim/wire/codec.hpp"

namespace ksim::daemon::server {

Result<Page> fill_page(const PageRequest& request, const std::function<nlohmann::json(std::size_t)>& entry,
                       const std::function<std::string(std::size_t)>& describe) {
    Page page;
    std::size_t bytes = request.frame_bytes;
    std::size_t next = request.offset;
    for (; next < request.count && page.entries.size() < request.max_entries; ++next) {
        nlohmann::json e = entry(next);
        const std::size_t entry_bytes = e.dump().size() + 1;  // + the separating comma
        if (bytes + entry_bytes > wire::kMaxMessageBytes) {
            if (!page.entries.empty()) break;  // the next page starts with this entry
            return fail(Errc::TooLarge, describe(next) + " alone makes a '" + std::string(request.reply) +
                                            "' reply of " + std::to_string(bytes + entry_bytes) +
                                            " bytes, over the " + std::to_string(wire::kMaxMessageBytes) +
                                            " byte message limit");
        }
        bytes += entry_bytes;
        page.entries.push_back(std::move(e));
    }
    if (next < request.count) page.next_offset = static_cast<std::uint32_t>(next);
    return page;
}

}  // namespace ksim::daemon::server
