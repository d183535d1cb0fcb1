// Length-prefix codec: round trips, incremental feeding, and malformed input that must be
// refused with ProtocolError without crashing.
#include "ksim/wire/codec.hpp"

#include <gtest/gtest.h>

#include <random>

namespace ksim::wire {
namespace {

using nlohmann::json;

std::string prefix(std::uint32_t n) {
    std::string s(4, '\0');
    for (int i = 0; i < 4; ++i) s[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
    return s;
}

TEST(WireCodec, EncodedFrame_StartsWithLittleEndianLength) {
    auto frame = encode_frame(json{{"type", "list"}, {"id", 1}});
    ASSERT_TRUE(frame.has_value());
    std::string body = frame->substr(4);
    EXPECT_EQ(frame->substr(0, 4), prefix(static_cast<std::uint32_t>(body.size())));
    EXPECT_EQ(json::parse(body), (json{{"type", "list"}, {"id", 1}}));
}

TEST(WireCodec, Decoder_ReturnsMessagesFedOneByteAtATime) {
    std::string stream;
    for (int i = 0; i < 3; ++i) stream += *encode_frame(json{{"id", i}, {"name", "x\xc3\xa9"}});
    FrameDecoder decoder;
    std::vector<json> got;
    for (char c : stream) {
        decoder.feed(std::string_view(&c, 1));
        auto m = decoder.next();
        ASSERT_TRUE(m.has_value()) << m.error().message;
        if (*m) got.push_back(**m);
    }
    ASSERT_EQ(got.size(), 3u);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(got[i]["id"], i);
    EXPECT_EQ(got[0]["name"], "x\xc3\xa9");
    EXPECT_EQ(decoder.buffered_bytes(), 0u);
}

TEST(WireCodec, Decoder_ReturnsSeveralMessagesFromOneRead) {
    std::string stream = *encode_frame(json{{"a", 1}}) + *encode_frame(json{{"b", 2}});
    FrameDecoder decoder;
    decoder.feed(stream);
    auto first = decoder.next();
    auto second = decoder.next();
    auto third = decoder.next();
    ASSERT_TRUE(first && *first && second && *second && third);
    EXPECT_EQ((**first)["a"], 1);
    EXPECT_EQ((**second)["b"], 2);
    EXPECT_FALSE(third->has_value());
}

TEST(WireCodec, TruncatedMessage_IsPendingNotAnError) {
    std::string frame = *encode_frame(json{{"id", 7}});
    FrameDecoder decoder;
    decoder.feed(std::string_view(frame).substr(0, frame.size() - 1));
    auto m = decoder.next();
    ASSERT_TRUE(m.has_value());
    EXPECT_FALSE(m->has_value());
    EXPECT_EQ(decoder.buffered_bytes(), frame.size() - 1);
}

TEST(WireCodec, OversizePrefix_IsRefusedBeforeTheBodyArrives) {
    FrameDecoder decoder;
    decoder.feed(prefix(static_cast<std::uint32_t>(kMaxMessageBytes + 1)));
    auto m = decoder.next();
    ASSERT_FALSE(m.has_value());
    EXPECT_EQ(m.error().code, Errc::ProtocolError);
    EXPECT_NE(m.error().message.find("limit"), std::string::npos);
    EXPECT_TRUE(decoder.failed());
}

TEST(WireCodec, OversizeMessage_IsRefusedByTheEncoder) {
    json big{{"blob", std::string(kMaxMessageBytes, 'x')}};
    auto frame = encode_frame(big);
    ASSERT_FALSE(frame.has_value());
    EXPECT_EQ(frame.error().code, Errc::ProtocolError);
}

TEST(WireCodec, ZeroLength_IsAProtocolError) {
    FrameDecoder decoder;
    decoder.feed(prefix(0));
    auto m = decoder.next();
    ASSERT_FALSE(m.has_value());
    EXPECT_EQ(m.error().code, Errc::ProtocolError);
}

TEST(WireCodec, GarbageBody_IsAProtocolErrorAndTheDecoderStaysFailed) {
    FrameDecoder decoder;
    decoder.feed(prefix(5) + "{not}");
    auto m = decoder.next();
    ASSERT_FALSE(m.has_value());
    EXPECT_EQ(m.error().code, Errc::ProtocolError);
    decoder.feed(*encode_frame(json{{"ok", true}}));
    auto again = decoder.next();
    ASSERT_FALSE(again.has_value()) << "a desynchronised stream must not resume";
}

TEST(WireCodec, NonObjectBody_IsAProtocolError) {
    FrameDecoder decoder;
    decoder.feed(prefix(7) + "[1,2,3]");
    auto m = decoder.next();
    ASSERT_FALSE(m.has_value());
    EXPECT_NE(m.error().message.find("array"), std::string::npos);
}

TEST(WireCodec, InvalidUtf8Body_IsAProtocolError) {
    FrameDecoder decoder;
    std::string body = "{\"a\":\"\xff\xfe\"}";
    decoder.feed(prefix(static_cast<std::uint32_t>(body.size())) + body);
    auto m = decoder.next();
    ASSERT_FALSE(m.has_value());
    EXPECT_EQ(m.error().code, Errc::ProtocolError);
}

TEST(WireCodec, RandomBytes_NeverCrashTheDecoder) {
    std::mt19937 rng(1234);
    for (int round = 0; round < 2000; ++round) {
        FrameDecoder decoder(4096);
        std::string bytes(rng() % 64, '\0');
        for (auto& c : bytes) c = static_cast<char>(rng());
        // Half the rounds get a plausible small prefix so the JSON parser sees the garbage.
        if (round % 2 == 0 && bytes.size() >= 4) {
            auto n = static_cast<std::uint32_t>(bytes.size() - 4);
            bytes.replace(0, 4, prefix(n));
        }
        decoder.feed(bytes);
        for (int i = 0; i < 4; ++i) {
            auto m = decoder.next();
            if (!m) {
                EXPECT_EQ(m.error().code, Errc::ProtocolError);
                break;
            }
            if (!*m) break;
            EXPECT_TRUE((*m)->is_object());
        }
    }
}

}  // namespace
}  // namespace ksim::wire
