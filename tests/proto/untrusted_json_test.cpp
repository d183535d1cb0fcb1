// The one parser for outside JSON: the depth limit holds while parsing, the tree equals
// nlohmann's own, errors carry offsets and pointers; previews never show a whole subtree.
#include "ksim/proto/untrusted_json.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "../common/deep_json.hpp"

namespace ksim::proto {
namespace {

using ksim::test::kHostileDepth;
using ksim::test::nested_arrays;
using nlohmann::json;

TEST(UntrustedJson, DocumentAtTheDepthLimit_ParsesLikeNlohmann) {
    std::string text = nested_arrays(kMaxJsonDepth);
    auto parsed = parse_untrusted_json(text);
    ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
    EXPECT_EQ(*parsed, json::parse(text));
}

TEST(UntrustedJson, OneLevelDeeper_IsRefusedWithThePointerOfTheDeepContainer) {
    auto parsed = parse_untrusted_json(nested_arrays(kMaxJsonDepth + 1));
    ASSERT_FALSE(parsed.has_value());
    EXPECT_EQ(parsed.error().kind, JsonParseError::Kind::TooDeep);
    std::string pointer;
    for (std::size_t i = 0; i < kMaxJsonDepth; ++i) pointer += "/0";
    EXPECT_EQ(parsed.error().pointer, pointer);
    EXPECT_EQ(parsed.error().message, "nesting deeper than 64 levels");
}

TEST(UntrustedJson, PointerOfTheDeepContainer_NamesKeysAndIndices) {
    std::string deep = nested_arrays(kMaxJsonDepth);
    auto parsed = parse_untrusted_json(R"({"a": 1, "b/c": [true, {"~k": )" + deep + "}]}");
    ASSERT_FALSE(parsed.has_value());
    std::string pointer = "/b~1c/1/~0k";
    for (std::size_t i = 0; i + 3 < kMaxJsonDepth; ++i) pointer += "/0";
    EXPECT_EQ(parsed.error().pointer, pointer);
}

TEST(UntrustedJson, HostileDepth_ArraysAndObjects_AreRefusedNotACrash) {
    EXPECT_EQ(parse_untrusted_json(nested_arrays(kHostileDepth)).error().kind, JsonParseError::Kind::TooDeep);
    std::string objects;
    for (std::size_t i = 0; i < kHostileDepth; ++i) objects += R"({"k":)";
    objects += "1" + std::string(kHostileDepth, '}');
    EXPECT_EQ(parse_untrusted_json(objects).error().kind, JsonParseError::Kind::TooDeep);
    // Unclosed: refused at the limit, before the end of the text is reached.
    EXPECT_EQ(parse_untrusted_json(std::string(kHostileDepth, '[')).error().kind,
              JsonParseError::Kind::TooDeep);
}

TEST(UntrustedJson, SyntaxError_GivesTheOffsetOfTheOffendingCharacter) {
    auto parsed = parse_untrusted_json(R"({"a": tru})");
    ASSERT_FALSE(parsed.has_value());
    EXPECT_EQ(parsed.error().kind, JsonParseError::Kind::Syntax);
    EXPECT_EQ(parsed.error().offset, 9u);
    EXPECT_NE(parsed.error().message.find("invalid literal"), std::string::npos) << parsed.error().message;
    EXPECT_FALSE(parse_untrusted_json(R"({} {})").has_value());  // nothing after the value
    EXPECT_FALSE(parse_untrusted_json("").has_value());
}

TEST(UntrustedJson, EveryShippedConfig_ParsesToNlohmannsTree) {
    int seen = 0;
    for (const auto& entry : std::filesystem::directory_iterator(KSIM_CONFIGS_DIR)) {
        if (entry.path().extension() != ".json") continue;
        std::ifstream in(entry.path());
        std::stringstream text;
        text << in.rdbuf();
        auto parsed = parse_untrusted_json(text.str());
        ASSERT_TRUE(parsed.has_value()) << entry.path() << ": " << parsed.error().message;
        EXPECT_EQ(*parsed, json::parse(text.str())) << entry.path();
        ++seen;
    }
    EXPECT_GT(seen, 3);
}

TEST(UntrustedJson, ScalarsOfEveryKind_ParseLikeNlohmann) {
    for (std::string_view text :
         {R"([null, true, false, -5, 18446744073709551615, 1.5e300, "x\u00e9", {}, []])",
          R"({"dup": 1, "dup": 2})", "7", R"("s")"})
        EXPECT_EQ(*parse_untrusted_json(text), json::parse(text)) << text;
}

TEST(UntrustedJson, Preview_ShowsScalarsCutShortAndContainersByType) {
    EXPECT_EQ(json_preview(json::parse(nested_arrays(kMaxJsonDepth))), "an array");
    EXPECT_EQ(json_preview(json::object()), "an object");
    EXPECT_EQ(json_preview(json(42)), "42");
    EXPECT_EQ(json_preview(json("NV12")), "\"NV12\"");
    std::string shown = json_preview(json(std::string(1000, 'x')));
    EXPECT_EQ(shown, "\"" + std::string(kPreviewChars, 'x') + "...\"");
    // A cut never splits a UTF-8 character: the preview is valid UTF-8 (dump would throw).
    std::string accents;
    for (int i = 0; i < 100; ++i) accents += "\xc3\xa9";
    std::string cut = json_preview(json(accents));
    ASSERT_TRUE(cut.ends_with("...\""));
    EXPECT_NO_THROW(json::parse(cut.substr(0, cut.size() - 4) + "\""));
    EXPECT_EQ(json_type_phrase(json(-1)), "a negative integer");
    EXPECT_EQ(json_type_phrase(json(1.5)), "a floating-point number");
}

}  // namespace
}  // namespace ksim::proto
