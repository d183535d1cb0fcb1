// KSIM_ASSERT aborts with the expression, file:line and the message, in every build type (this
// suite builds RelWithDebInfo, where <cassert> would be compiled out).
#include "ksim/proto/assert.hpp"

#include <gtest/gtest.h>

namespace {
int checked_half(int even) {
    KSIM_ASSERT(even % 2 == 0, "checked_half needs an even number");
    return even / 2;
}
}  // namespace

TEST(KsimAssert, HoldingCondition_ReturnsNormally) {
    EXPECT_EQ(checked_half(4), 2);
}

TEST(KsimAssert, BrokenCondition_AbortsNamingExpressionFileAndMessage) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_DEATH(checked_half(3),
                 "assert_test\\.cpp:[0-9]+: ksim invariant broken: checked_half needs an even "
                 "number \\(even % 2 == 0\\)");
}
