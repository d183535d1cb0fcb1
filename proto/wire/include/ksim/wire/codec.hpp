// Length-prefixed JSON framing of the control protocol: every message is a u32 little-endian
// byte count followed by that many bytes of UTF-8 JSON (one object). No Asio here: the codec
// works on byte spans so the daemon, the client library and the tests share it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>

#include "ksim/proto/error.hpp"

namespace ksim::wire {

inline constexpr std::size_t kLengthPrefixBytes = 4;
// Hard limit on one message body. Larger messages are a protocol error (the peer is dropped):
// nothing legitimate comes close — frames never travel on the socket.
inline constexpr std::size_t kMaxMessageBytes = 1024 * 1024;

// Serialises `message` (must be a JSON object) as prefix + body. Fails with ProtocolError when
// the body would exceed kMaxMessageBytes.
Result<std::string> encode_frame(const nlohmann::json& message);

// Incremental decoder: feed bytes as they arrive, take complete messages out. The first
// malformed input (oversize prefix, invalid UTF-8/JSON, a body that is not an object) puts the
// decoder in a failed state: next() returns that error from then on, because the stream can no
// longer be resynchronised. The size check uses the prefix alone, so an oversize message is
// refused before its body is buffered.
class FrameDecoder {
public:
    explicit FrameDecoder(std::size_t max_message_bytes = kMaxMessageBytes);

    void feed(std::span<const std::byte> bytes);
    void feed(std::string_view bytes);

    // A complete message, std::nullopt when more bytes are needed, or the ProtocolError.
    Result<std::optional<nlohmann::json>> next();

    [[nodiscard]] bool failed() const { return error_.has_value(); }
    // Bytes received but not yet returned as a message (for "truncated at EOF" diagnostics).
    [[nodiscard]] std::size_t buffered_bytes() const { return buffer_.size() - consumed_; }

private:
    std::size_t max_message_bytes_;
    std::string buffer_;
    std::size_t consumed_ = 0;
    std::optional<Error> error_;
};

}  // namespace ksim::wire
