#include "ksim/shm/ledger.hpp"

#include <gtest/gtest.h>

#include <random>
#include <thread>
#include <vector>

namespace ksim::shm {
namespace {

constexpr RegionId kPool = 11;
constexpr RegionId kOtherPool = 12;
constexpr OwnerId kAlice = 101;
constexpr OwnerId kBob = 202;

class ShmLedger : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(ledger.add_pool(kPool, 4));
        ASSERT_TRUE(ledger.add_pool(kOtherPool, 2));
    }
    Ledger ledger;
};

TEST_F(ShmLedger, AddPool_RejectsDuplicatesIdZeroAndEmptyPools) {
    EXPECT_EQ(ledger.add_pool(kPool, 4).error().code, Errc::AlreadyExists);
    EXPECT_EQ(ledger.add_pool(kInvalidRegion, 4).error().code, Errc::InvalidArgument);
    EXPECT_EQ(ledger.add_pool(99, 0).error().code, Errc::InvalidArgument);
}

TEST_F(ShmLedger, Validate_AcceptsTheHoldersCurrentDescriptor) {
    ASSERT_TRUE(ledger.record(FrameHandle{kPool, 2, 5, 0}, kAlice));
    EXPECT_TRUE(ledger.validate(FrameHandle{kPool, 2, 5, 0}, kAlice));
}

TEST_F(ShmLedger, Validate_RejectsAnUnknownRegionOrOutOfRangeIndexAsNotFound) {
    EXPECT_EQ(ledger.validate(FrameHandle{77, 0, 0, 0}, kAlice).error().code, Errc::NotFound);
    EXPECT_EQ(ledger.validate(FrameHandle{kPool, 4, 0, 0}, kAlice).error().code, Errc::NotFound);
    EXPECT_EQ(ledger.validate(FrameHandle{kPool, 0xFFFFFFFFu, 0, 0}, kAlice).error().code, Errc::NotFound);
}

TEST_F(ShmLedger, Validate_RejectsAnOldGenerationAsStale) {
    ASSERT_TRUE(ledger.record(FrameHandle{kPool, 1, 3, 0}, kAlice));
    auto ok = ledger.validate(FrameHandle{kPool, 1, 2, 0}, kAlice);
    ASSERT_FALSE(ok);
    EXPECT_EQ(ok.error().code, Errc::StaleDescriptor);
    EXPECT_NE(ok.error().message.find("generation 3"), std::string::npos) << ok.error().message;
}

TEST_F(ShmLedger, Validate_RejectsAFrameNobodyHoldsAsStale) {
    EXPECT_EQ(ledger.validate(FrameHandle{kPool, 0, 0, 0}, kAlice).error().code, Errc::StaleDescriptor);
}

TEST_F(ShmLedger, Validate_RejectsAnotherOwnersFrameAsPermissionDenied) {
    ASSERT_TRUE(ledger.record(FrameHandle{kPool, 0, 0, 0}, kAlice));
    auto ok = ledger.validate(FrameHandle{kPool, 0, 0, 0}, kBob);
    ASSERT_FALSE(ok);
    EXPECT_EQ(ok.error().code, Errc::PermissionDenied);
}

TEST_F(ShmLedger, Record_RefusesAFrameAlreadyHeldAndOwnerZero) {
    ASSERT_TRUE(ledger.record(FrameHandle{kPool, 0, 0, 0}, kAlice));
    EXPECT_EQ(ledger.record(FrameHandle{kPool, 0, 0, 0}, kBob).error().code, Errc::AlreadyExists);
    EXPECT_EQ(ledger.record(FrameHandle{kPool, 1, 0, 0}, kNoOwner).error().code, Errc::InvalidArgument);
    EXPECT_EQ(ledger.record(FrameHandle{kPool, 9, 0, 0}, kAlice).error().code, Errc::NotFound);
}

TEST_F(ShmLedger, Release_ForgetsTheHoldingSoASecondReleaseIsStale) {
    const FrameHandle frame{kPool, 3, 1, 0};
    ASSERT_TRUE(ledger.record(frame, kAlice));
    ASSERT_TRUE(ledger.release(frame, kAlice));
    EXPECT_EQ(ledger.release(frame, kAlice).error().code, Errc::StaleDescriptor);
    EXPECT_EQ(ledger.held_by(kAlice), 0u);
}

TEST_F(ShmLedger, Release_ByAnotherOwnerIsRefusedAndKeepsTheHolding) {
    const FrameHandle frame{kPool, 3, 1, 0};
    ASSERT_TRUE(ledger.record(frame, kAlice));
    EXPECT_EQ(ledger.release(frame, kBob).error().code, Errc::PermissionDenied);
    EXPECT_TRUE(ledger.validate(frame, kAlice));
}

TEST_F(ShmLedger, Generations_PreventAba) {
    // Alice held generation 0, returned it; the frame went to Bob as generation 1. Alice's old
    // descriptor must not name Bob's frame.
    ASSERT_TRUE(ledger.record(FrameHandle{kPool, 0, 0, 0}, kAlice));
    ASSERT_TRUE(ledger.release(FrameHandle{kPool, 0, 0, 0}, kAlice));
    ASSERT_TRUE(ledger.record(FrameHandle{kPool, 0, 1, 0}, kBob));
    EXPECT_EQ(ledger.validate(FrameHandle{kPool, 0, 0, 0}, kAlice).error().code, Errc::StaleDescriptor);
    EXPECT_EQ(ledger.release(FrameHandle{kPool, 0, 0, 0}, kAlice).error().code, Errc::StaleDescriptor);
    EXPECT_TRUE(ledger.validate(FrameHandle{kPool, 0, 1, 0}, kBob));
}

TEST_F(ShmLedger, Transfer_MovesTheHoldingToTheNewOwner) {
    const FrameHandle frame{kPool, 1, 0, 0};
    ASSERT_TRUE(ledger.record(frame, kAlice));
    ASSERT_TRUE(ledger.transfer(frame, kAlice, kBob));
    EXPECT_EQ(ledger.validate(frame, kAlice).error().code, Errc::PermissionDenied);
    EXPECT_TRUE(ledger.validate(frame, kBob));
    EXPECT_EQ(ledger.held_by(kAlice), 0u);
    EXPECT_EQ(ledger.held_by(kBob), 1u);
    EXPECT_EQ(ledger.transfer(frame, kAlice, kBob).error().code, Errc::PermissionDenied);
}

TEST_F(ShmLedger, Reclaim_ReturnsAllOfTheOwnersFramesExactlyOnce) {
    ASSERT_TRUE(ledger.record(FrameHandle{kPool, 0, 4, 0}, kAlice));
    ASSERT_TRUE(ledger.record(FrameHandle{kPool, 2, 1, 0}, kAlice));
    ASSERT_TRUE(ledger.record(FrameHandle{kOtherPool, 1, 9, 0}, kAlice));
    ASSERT_TRUE(ledger.record(FrameHandle{kPool, 1, 0, 0}, kBob));
    const auto frames = ledger.reclaim(kAlice);
    const std::vector<FrameHandle> expected{{kPool, 0, 4, 0}, {kPool, 2, 1, 0}, {kOtherPool, 1, 9, 0}};
    EXPECT_EQ(frames, expected);
    EXPECT_TRUE(ledger.reclaim(kAlice).empty());
    EXPECT_EQ(ledger.held_by(kAlice), 0u);
    EXPECT_TRUE(ledger.validate(FrameHandle{kPool, 1, 0, 0}, kBob));  // Bob untouched
    // A late release of a reclaimed frame is stale, not a second return.
    EXPECT_EQ(ledger.release(FrameHandle{kPool, 0, 4, 0}, kAlice).error().code, Errc::StaleDescriptor);
}

TEST_F(ShmLedger, ReclaimRacingRelease_ReturnsEachFrameOnce) {
    constexpr int kRounds = 500;
    for (int round = 0; round < kRounds; ++round) {
        const FrameHandle frame{kPool, 0, static_cast<std::uint32_t>(round), 0};
        ASSERT_TRUE(ledger.record(frame, kAlice));
        bool released = false;
        std::vector<FrameHandle> reclaimed;
        std::thread t([&] { released = ledger.release(frame, kAlice).has_value(); });
        reclaimed = ledger.reclaim(kAlice);
        t.join();
        ASSERT_EQ(static_cast<int>(released) + static_cast<int>(reclaimed.size()), 1) << "round " << round;
    }
}

TEST_F(ShmLedger, Holders_ListsOwnersAndCountsPerPool) {
    ASSERT_TRUE(ledger.record(FrameHandle{kPool, 0, 0, 0}, kBob));
    ASSERT_TRUE(ledger.record(FrameHandle{kPool, 1, 0, 0}, kAlice));
    ASSERT_TRUE(ledger.record(FrameHandle{kPool, 3, 0, 0}, kBob));
    ASSERT_TRUE(ledger.record(FrameHandle{kOtherPool, 0, 0, 0}, kAlice));
    auto holders = ledger.holders(kPool);
    ASSERT_TRUE(holders);
    EXPECT_EQ(*holders, (std::vector<Holding>{{kAlice, 1}, {kBob, 2}}));
    EXPECT_EQ(ledger.holders(999).error().code, Errc::NotFound);
    EXPECT_EQ(ledger.held_by(kAlice), 2u);
}

TEST_F(ShmLedger, RemovePool_ReturnsFramesStillHeldAndForgetsThePool) {
    ASSERT_TRUE(ledger.record(FrameHandle{kOtherPool, 1, 2, 0}, kBob));
    const auto held = ledger.remove_pool(kOtherPool);
    EXPECT_EQ(held, (std::vector<FrameHandle>{{kOtherPool, 1, 2, 0}}));
    EXPECT_EQ(ledger.held_by(kBob), 0u);
    EXPECT_EQ(ledger.validate(FrameHandle{kOtherPool, 1, 2, 0}, kBob).error().code, Errc::NotFound);
}

TEST_F(ShmLedger, RandomDescriptors_AreRejectedWithSpecificCodesAndNeverAccepted) {
    ASSERT_TRUE(ledger.record(FrameHandle{kPool, 1, 42, 0}, kAlice));
    std::mt19937_64 random(12345);
    for (int i = 0; i < 100000; ++i) {
        const FrameHandle forged{static_cast<RegionId>(random() % 16),
                                 static_cast<std::uint32_t>(random() % 8),
                                 static_cast<std::uint32_t>(random() % 64), 0};
        const OwnerId who = random() % 2 ? kAlice : kBob;
        auto ok = ledger.validate(forged, who);
        const bool genuine = forged == FrameHandle{kPool, 1, 42, 0} && who == kAlice;
        EXPECT_EQ(ok.has_value(), genuine);
        if (!ok) {
            const auto code = ok.error().code;
            EXPECT_TRUE(code == Errc::NotFound || code == Errc::StaleDescriptor ||
                        code == Errc::PermissionDenied);
        }
    }
    EXPECT_EQ(ledger.held_by(kAlice), 1u);
}

}  // namespace
}  // namespace ksim::shm
