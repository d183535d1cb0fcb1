// The one "filter.pin" parser and the id rule it rests on (proto/topology.hpp).
#include <gtest/gtest.h>

#include "ksim/proto/topology.hpp"

using ksim::proto::is_valid_id;
using ksim::proto::parse_pin_ref;
using ksim::proto::PinRef;

TEST(PinRef, FilterDotPin_Parses) {
    auto ref = parse_pin_ref("camera.capture");
    ASSERT_TRUE(ref.has_value());
    EXPECT_EQ(ref->filter, "camera");
    EXPECT_EQ(ref->pin, "capture");
    EXPECT_EQ(ref->to_string(), "camera.capture");
}

TEST(PinRef, TwoDots_AreNotAPinReference) {
    // Ids contain no '.', so neither ("a", "b.c") nor ("a.b", "c") is a pin.
    EXPECT_FALSE(parse_pin_ref("a.b.c").has_value());
    EXPECT_FALSE(parse_pin_ref("a..b").has_value());
}

TEST(PinRef, EmptyParts_AreNotAPinReference) {
    EXPECT_FALSE(parse_pin_ref("").has_value());
    EXPECT_FALSE(parse_pin_ref(".").has_value());
    EXPECT_FALSE(parse_pin_ref(".capture").has_value());
    EXPECT_FALSE(parse_pin_ref("camera.").has_value());
}

TEST(PinRef, NoDot_IsNotAPinReference) {
    EXPECT_FALSE(parse_pin_ref("capture").has_value());
}

TEST(PinRef, ToString_ParsesBackForValidIds) {
    const PinRef ref{"mic", "capture"};
    EXPECT_EQ(parse_pin_ref(ref.to_string()), ref);
}

TEST(PinRef, Ordering_IsByFilterThenPin) {
    EXPECT_LT((PinRef{"a", "z"}), (PinRef{"b", "a"}));
    EXPECT_LT((PinRef{"a", "a"}), (PinRef{"a", "b"}));
}

TEST(IdRule, NonEmptyWithoutDot_IsValid) {
    EXPECT_TRUE(is_valid_id("capture"));
    EXPECT_TRUE(is_valid_id("in-0_x"));
    EXPECT_FALSE(is_valid_id(""));
    EXPECT_FALSE(is_valid_id("in.put"));
}
