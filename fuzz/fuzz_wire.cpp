// The control protocol as ksimd and libksim read it: the input is one message body, framed with
// its length prefix and fed to the FrameDecoder in two pieces; a decoded message goes through
// the envelope reader and, for a known type, every body decoder of that type (request, reply or
// event). Any crash, sanitizer report or escaped exception is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "decode_any.hpp"
#include "ksim/wire/codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace ksim::wire;
    std::string body(reinterpret_cast<const char*>(data), size);
    std::string frame(kLengthPrefixBytes, '\0');
    for (std::size_t i = 0; i < kLengthPrefixBytes; ++i)
        frame[i] = static_cast<char>((size >> (8 * i)) & 0xFF);
    frame += body;
    FrameDecoder decoder;
    decoder.feed(std::string_view(frame).substr(0, frame.size() / 2));
    (void)decoder.next();
    decoder.feed(std::string_view(frame).substr(frame.size() / 2));
    auto message = decoder.next();
    if (!message || !*message) return 0;
    (void)type_name_of(**message);
    auto envelope = read_envelope(**message);
    if (!envelope || !envelope->type_known) return 0;
    if (auto error = test::decode_as(envelope->type, **message)) {
        // What a peer would get back must be encodable.
        (void)encode_frame(make_error_reply(envelope->type, envelope->id, *error));
    }
    return 0;
}
