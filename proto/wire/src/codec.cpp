#include "ksim/wire/codec.hpp"

#include <fmt/format.h>

#include "ksim/proto/untrusted_json.hpp"

namespace ksim::wire {
namespace {

void put_u32_le(std::string& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

std::uint32_t get_u32_le(const char* p) {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(p[i])) << (8 * i);
    return v;
}

// A pointer as an error message shows it: long keys would make the message as long as the body.
std::string shortened(std::string_view pointer) {
    constexpr std::size_t kShown = 160;
    if (pointer.size() <= kShown) return std::string(pointer);
    std::size_t cut = kShown;
    while (cut > 0 && (static_cast<unsigned char>(pointer[cut]) & 0xC0) == 0x80) --cut;  // UTF-8 boundary
    return std::string(pointer.substr(0, cut)) + "...";
}

}  // namespace

Result<std::string> encode_frame(const nlohmann::json& message) {
    if (!message.is_object()) return fail(Errc::InvalidArgument, "a protocol message must be a JSON object");
    // Replace invalid UTF-8 in strings instead of throwing: a message is never lost to a bad name.
    std::string body = message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (body.size() > kMaxMessageBytes)
        return fail(Errc::ProtocolError, fmt::format("message of {} bytes exceeds the {} byte limit",
                                                     body.size(), kMaxMessageBytes));
    std::string out;
    out.reserve(kLengthPrefixBytes + body.size());
    put_u32_le(out, static_cast<std::uint32_t>(body.size()));
    out += body;
    return out;
}

FrameDecoder::FrameDecoder(std::size_t max_message_bytes) : max_message_bytes_(max_message_bytes) {}

void FrameDecoder::feed(std::span<const std::byte> bytes) {
    feed(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

void FrameDecoder::feed(std::string_view bytes) {
    if (error_) return;
    // Compact lazily so that many small messages in one read do not shift the buffer each time.
    if (consumed_ > 0 && consumed_ >= buffer_.size() / 2) {
        buffer_.erase(0, consumed_);
        consumed_ = 0;
    }
    buffer_.append(bytes);
}

Result<std::optional<nlohmann::json>> FrameDecoder::next() {
    if (error_) return std::unexpected(*error_);
    std::size_t available = buffer_.size() - consumed_;
    if (available < kLengthPrefixBytes) return std::optional<nlohmann::json>{};
    std::uint32_t length = get_u32_le(buffer_.data() + consumed_);
    if (length > max_message_bytes_) {
        error_ = Error{Errc::ProtocolError, fmt::format("message length prefix {} exceeds the {} byte limit",
                                                        length, max_message_bytes_)};
        return std::unexpected(*error_);
    }
    if (length == 0) {
        error_ = Error{Errc::ProtocolError, "empty message (length prefix 0)"};
        return std::unexpected(*error_);
    }
    if (available < kLengthPrefixBytes + length) return std::optional<nlohmann::json>{};
    std::string_view body(buffer_.data() + consumed_ + kLengthPrefixBytes, length);
    consumed_ += kLengthPrefixBytes + length;
    auto parsed = proto::parse_untrusted_json(body);
    if (!parsed) {
        const proto::JsonParseError& e = parsed.error();
        error_ = Error{Errc::ProtocolError,
                       e.kind == proto::JsonParseError::Kind::TooDeep
                           ? fmt::format("message body of {} bytes nests deeper than {} levels (at {})",
                                         length, proto::kMaxJsonDepth, shortened(e.pointer))
                           : fmt::format("message body of {} bytes is not valid JSON (byte {}: {})", length,
                                         e.offset, e.message)};
        return std::unexpected(*error_);
    }
    if (!parsed->is_object()) {
        error_ = Error{Errc::ProtocolError, fmt::format("message body is {}, expected an object",
                                                        proto::json_type_phrase(*parsed))};
        return std::unexpected(*error_);
    }
    return std::optional<nlohmann::json>(std::move(*parsed));
}

}  // namespace ksim::wire
