// Messages nested far too deep are refused by the decoder before any tree walk; values of the
// wrong type are named by JSON pointer and type, never dumped, in every message body.
#include <gtest/gtest.h>

#include "../common/deep_json.hpp"
#include "decode_any.hpp"
#include "ksim/proto/untrusted_json.hpp"
#include "ksim/wire/codec.hpp"

namespace ksim::wire {
namespace {

using ksim::test::kHostileDepth;
using ksim::test::nested_arrays;
using nlohmann::json;

// Every field name any body decoder reads.
// clang-format off
constexpr const char* kFieldNames[] = {
    "access", "alignment_mask", "allocate", "allocated_frames", "allocator", "calls", "capacity", "client_id",
    "client_name", "committed", "committed_connections", "completed", "connected", "connected_to",
    "connection", "connections", "daemon_version", "data_used", "decision", "delete", "denominator", "depth",
    "detail", "direction", "drop_count", "dropped", "duration", "entries", "events", "fd_count", "fd_index",
    "filter", "filters", "frame", "frame_extent", "frame_size", "frames", "framing", "framing_prop", "free",
    "free_frames", "from", "generation", "graph_manager", "header", "hold_avg_ns", "hold_max_ns", "holder",
    "hosting", "id", "in_flight", "index", "initialize", "initialized", "kind", "latency_avg_ns",
    "latency_max_ns", "legacy_framing", "medium", "memory_type", "memory_types", "message", "name",
    "numerator", "options_flags", "owner", "peer", "peer_wake_fd_index", "picture_number", "pin", "pin_id",
    "pins", "pool", "presentation_time", "property", "protocol_version", "provider", "reason", "region",
    "regions", "rings", "role", "rule", "size", "source", "state", "statistics", "status", "taken_ns", "time",
    "to", "topology", "type_specific_flags", "uncommitted", "uncommitted_total", "value", "vendor_allocator",
    "vendor_allocator_caps", "wake_fd_index"};
// clang-format on

std::string frame_of(const std::string& body) {
    std::string out(4, '\0');
    for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((body.size() >> (8 * i)) & 0xFF);
    return out + body;
}

// The deepest value the decoder lets through, with a marker that must never reach a message.
json deepest_allowed() {
    return json::parse(nested_arrays(proto::kMaxJsonDepth - 3, "\"SECRET\""));
}

TEST(DeepMessage, HostileDepthInAnyMessageType_IsAProtocolErrorFromTheDecoder) {
    for (const auto& entry : message_table()) {
        std::string body = R"({"type": ")" + std::string(entry.name) + R"(", "id": 1, "protocol_version": )" +
                           nested_arrays(kHostileDepth) + "}";
        FrameDecoder decoder;
        decoder.feed(frame_of(body));
        auto m = decoder.next();
        ASSERT_FALSE(m.has_value()) << entry.name;
        EXPECT_EQ(m.error().code, Errc::ProtocolError);
        EXPECT_NE(m.error().message.find("nests deeper than 64 levels (at /protocol_version/0/0/"),
                  std::string::npos)
            << m.error().message;
        EXPECT_TRUE(decoder.failed());
    }
}

TEST(DeepMessage, DepthAtTheLimit_StillDecodes) {
    std::string body = R"({"type": "list", "id": 1, "x": )" + nested_arrays(proto::kMaxJsonDepth - 1) + "}";
    FrameDecoder decoder;
    decoder.feed(frame_of(body));
    auto m = decoder.next();
    ASSERT_TRUE(m.has_value() && m->has_value()) << (m ? "" : m.error().message);
}

TEST(DeepMessage, WrongTypeErrors_NameThePointerAndTheType) {
    json deep = deepest_allowed();
    struct Case {
        MessageType type;
        json body;
        std::string text;
    };
    const Case cases[] = {
        {MessageType::Hello,
         {{"protocol_version", deep}, {"role", "client"}, {"client_name", "c"}},
         "bad 'hello' message: /protocol_version: expected an unsigned integer, found an array"},
        {MessageType::ReleaseFrame,
         {{"frame", {{"region", deep}, {"index", 0}, {"generation", 0}}}},
         "/frame/region: expected an unsigned integer, found an array"},
        {MessageType::SubmitFrame,
         {{"pin", "a.b"},
          {"frame", {{"region", 0}, {"index", 0}, {"generation", 0}}},
          {"header",
           {{"type_specific_flags", 0},
            {"presentation_time", {{"time", 0}, {"numerator", 1}, {"denominator", 1}}},
            {"duration", deep}}}},
         "/header/duration: expected an integer, found an array"},
    };
    for (const auto& c : cases) {
        json message = c.body;
        message["type"] = to_string(c.type);
        message["id"] = 1;
        auto error = test::decode_as(c.type, message);
        ASSERT_TRUE(error.has_value()) << to_string(c.type);
        EXPECT_EQ(error->code, Errc::InvalidArgument);
        EXPECT_NE(error->message.find(c.text), std::string::npos) << error->message;
    }
}

TEST(DeepMessage, EveryDecoder_RefusesDeepValuesInEveryFieldWithoutDumpingThem) {
    json deep = deepest_allowed();
    json all_deep = json::object();
    for (const char* name : kFieldNames) all_deep[name] = deep;
    for (const auto& entry : message_table()) {
        // Every field deep; then each field an object whose fields are all deep (nested bodies).
        std::vector<json> bodies{all_deep};
        for (const char* name : kFieldNames) bodies.push_back(json{{name, all_deep}});
        for (std::size_t i = 0; i < bodies.size(); ++i) {
            json body = bodies[i];
            body["type"] = entry.name;
            body["id"] = 1;
            auto error = test::decode_as(entry.type, body);
            // A body whose every field is deep is refused; a nested one may be ignored.
            if (i == 0) {
                ASSERT_TRUE(error.has_value()) << entry.name;
            }
            if (!error) continue;
            EXPECT_EQ(error->code, Errc::InvalidArgument);
            EXPECT_EQ(error->message.find("SECRET"), std::string::npos) << error->message;
            EXPECT_LT(error->message.size(), 400u) << error->message;
        }
    }
}

TEST(DeepMessage, LongStringsInErrors_AreCutShort) {
    json message{{"type", "set_state"}, {"id", 1}, {"pin", "a.b"}, {"state", std::string(100000, 'R')}};
    auto error = test::decode_as(MessageType::SetState, message);
    ASSERT_TRUE(error.has_value());
    EXPECT_NE(error->message.find("/state: unknown pin state \"RRR"), std::string::npos) << error->message;
    EXPECT_LT(error->message.size(), 300u);
}

}  // namespace
}  // namespace ksim::wire
