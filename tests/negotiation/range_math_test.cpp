// Stepped range intersection and compression arithmetic (the engine's private math).
#include "range_math.hpp"

#include <gtest/gtest.h>

namespace ksim::negotiation::detail {
namespace {

TEST(RangeMath_Intersect, OverlappingUnitSteps_GiveTheOverlap) {
    auto r = intersect({1000, 8000, 1}, {4096, 16384, 1});
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, (SizeSet{4096, 8000, 1}));
}

TEST(RangeMath_Intersect, DisjointBounds_GiveNothing) {
    EXPECT_FALSE(intersect({1000, 2000, 1}, {4096, 8192, 4096}));
}

TEST(RangeMath_Intersect, DifferentSteppings_MeetAtCommonMultiples) {
    auto r = intersect({1000, 9000, 1000}, {1500, 9000, 1500});
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, (SizeSet{3000, 9000, 3000}));
}

TEST(RangeMath_Intersect, OffsetSteppings_SolveTheCongruence) {
    // 3 + 4k and 5 + 6m meet at 11, 23, 35, ... (step 12).
    auto r = intersect({3, 100, 4}, {5, 100, 6});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->min, 11u);
    EXPECT_EQ(r->step, 12u);
    EXPECT_EQ(r->max, 95u);
}

TEST(RangeMath_Intersect, EvenAndOddSteppings_NeverMeet) {
    EXPECT_FALSE(intersect({1000, 2000, 2}, {1001, 1999, 2}));
}

TEST(RangeMath_Intersect, SingleSizeInsideAStepping_IsKept) {
    auto r = intersect({4096, 4096, 1}, {0, 65536, 1024});
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, (SizeSet{4096, 4096, 1}));
}

TEST(RangeMath_Intersect, SingleSizeOffTheStepping_IsRejected) {
    EXPECT_FALSE(intersect({4000, 4000, 1}, {0, 65536, 1024}));
}

TEST(RangeMath_ToSizeSet, ZeroSteppingAndZeroRange_AreNormalised) {
    EXPECT_EQ(to_size_set({230400, 230400, 0}), (SizeSet{230400, 230400, 1}));
    EXPECT_EQ(to_size_set({0, 0, 0}), (SizeSet{0, 0xFFFFFFFFu, 1}));
    EXPECT_EQ(to_size_set({0, 10, 4}), (SizeSet{0, 8, 4}));
}

TEST(RangeMath_Members, FirstAtLeastAndLastMember_RespectStepping) {
    const SizeSet s{1000, 9000, 1500};
    EXPECT_EQ(first_at_least(s, 4096), 5500u);
    EXPECT_EQ(first_at_least(s, 9001), std::nullopt);
    EXPECT_EQ(last_member(s), 8500u);
}

TEST(RangeMath_Scale, ComposeMultipliesRatiosAndCarriesMargins) {
    const Scale half{1, 2, 0}, plus_ten{1, 1, 10};
    const Scale both = compose(half, plus_ten);
    EXPECT_EQ(both.apply(1000), 510u);
    EXPECT_EQ(compose(Scale{2, 1, 0}, Scale{3, 1, 0}).apply(10), 60u);
}

TEST(RangeMath_Unscale, DoublingOutput_HalvesTheAllowedInput) {
    auto r = unscale({100, 400, 1}, Scale{2, 1, 0});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->min, 50u);
    EXPECT_EQ(r->max, 200u);
}

TEST(RangeMath_Unscale, MarginLargerThanTheRange_GivesNothing) {
    EXPECT_FALSE(unscale({0, 10, 1}, Scale{1, 1, 20}));
}

TEST(RangeMath_Unscale, UnitRatioWithMargin_KeepsTheStepping) {
    auto r = unscale({1024, 8192, 1024}, Scale{1, 1, 24});
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, (SizeSet{1000, 8168, 1024}));
}

}  // namespace
}  // namespace ksim::negotiation::detail
