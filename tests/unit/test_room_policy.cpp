#include "room_policy.h"

#include <gtest/gtest.h>

#include "memory_estimate.h"

namespace vq {
namespace {

RoomScene scene_with(std::optional<std::uint64_t> available, std::optional<std::uint64_t> cgroup,
                     std::vector<HolderRoom> holders, std::uint64_t need) {
  RoomScene scene;
  scene.mem_available = available;
  scene.cgroup_headroom = cgroup;
  scene.holders = std::move(holders);
  scene.need_bytes = need;
  return scene;
}

TEST(RoomPolicy, NothingHoldingAdmitsWhateverTheFigures) {
  RoomVerdict verdict = judge_room(scene_with(100 * k_mib, std::nullopt, {}, 8 * k_gib));
  EXPECT_TRUE(verdict.admit);
  RoomScene pressured = scene_with(100 * k_mib, std::nullopt, {}, 8 * k_gib);
  pressured.pressure_high = true;
  EXPECT_TRUE(judge_room(pressured).admit);
}

TEST(RoomPolicy, TheTighterOfMemAvailableAndCgroupHeadroomCounts) {
  std::vector<HolderRoom> grown{{k_gib, k_gib}};
  // Host has 20 GiB available, the container 1 GiB: a 1.5 GiB run does not fit.
  RoomVerdict verdict = judge_room(scene_with(20 * k_gib, k_gib, grown, 3 * k_gib / 2));
  EXPECT_FALSE(verdict.admit);
  EXPECT_EQ(verdict.block, RoomBlock::memory);
  EXPECT_EQ(verdict.available, k_gib);
  // No cgroup limit: MemAvailable alone.
  EXPECT_TRUE(judge_room(scene_with(20 * k_gib, std::nullopt, grown, 3 * k_gib / 2)).admit);
}

TEST(RoomPolicy, GrowingHoldersReserveWhatTheyAreStillExpectedToAdd) {
  // 4 GiB available; two holders just started (100 MiB of 1 GiB each): 1848 MiB still to come.
  std::vector<HolderRoom> young{{k_gib, 100 * k_mib}, {k_gib, 100 * k_mib}};
  RoomScene scene = scene_with(4 * k_gib, std::nullopt, young, 3 * k_gib);
  RoomVerdict verdict = judge_room(scene);
  EXPECT_EQ(verdict.growing, 1848 * k_mib);
  EXPECT_EQ(verdict.room, static_cast<std::int64_t>(4 * k_gib - 1848 * k_mib));
  EXPECT_FALSE(verdict.admit);
  // Without the reservation the same figures would admit.
  scene.reserve_growing = false;
  EXPECT_TRUE(judge_room(scene).admit);
}

TEST(RoomPolicy, AHolderAboveItsEstimateReservesNothingMore) {
  std::vector<HolderRoom> big{{k_gib, 2 * k_gib}};
  EXPECT_EQ(judge_room(scene_with(4 * k_gib, std::nullopt, big, k_gib)).growing, 0u);
  // Unreadable current memory: the whole estimate is reserved.
  std::vector<HolderRoom> unknown{{k_gib, std::nullopt}};
  EXPECT_EQ(judge_room(scene_with(4 * k_gib, std::nullopt, unknown, k_gib)).growing, k_gib);
}

TEST(RoomPolicy, ReserveIsKeptFree) {
  RoomScene scene = scene_with(2 * k_gib, std::nullopt, {{k_gib, k_gib}}, 1800 * k_mib);
  EXPECT_TRUE(judge_room(scene).admit);
  scene.reserve_bytes = 512 * k_mib;
  EXPECT_FALSE(judge_room(scene).admit);
}

TEST(RoomPolicy, PressureBlocksNewRunsWhateverTheRoom) {
  RoomScene scene = scene_with(20 * k_gib, std::nullopt, {{k_gib, k_gib}}, k_gib);
  scene.pressure_high = true;
  RoomVerdict verdict = judge_room(scene);
  EXPECT_FALSE(verdict.admit);
  EXPECT_EQ(verdict.block, RoomBlock::pressure);
}

TEST(RoomPolicy, NoReadableFigureFallsBackToTheCount) {
  RoomVerdict verdict = judge_room(scene_with(std::nullopt, std::nullopt, {{k_gib, 0}}, k_gib));
  EXPECT_TRUE(verdict.admit);
  EXPECT_FALSE(verdict.known);
}

TEST(RoomPolicy, ColdProjectNeedsTheDefaultEstimate) {
  std::uint64_t need = estimate_memory({}, 0).bytes;
  EXPECT_FALSE(judge_room(scene_with(900 * k_mib, std::nullopt, {{k_gib, k_gib}}, need)).admit);
  EXPECT_TRUE(judge_room(scene_with(1100 * k_mib, std::nullopt, {{k_gib, k_gib}}, need)).admit);
}

TEST(RoomPolicy, ReserveIsBytesOrAPercentageOfTheBudget) {
  EXPECT_EQ(reserve_bytes(MemoryReserve{}, 16 * k_gib), 16 * k_gib / 20);  // default 5 %
  EXPECT_EQ(reserve_bytes(MemoryReserve{300 * k_mib, 0}, 16 * k_gib), 300 * k_mib);
  EXPECT_EQ(reserve_bytes(MemoryReserve{0, 0}, 16 * k_gib), 0u);
}

TEST(RoomPolicy, AutoLimitIsCoresBoundedByMemory) {
  EXPECT_EQ(auto_limit(8, 64 * k_gib, k_gib, 64), 8);
  EXPECT_EQ(auto_limit(64, 16 * k_gib, k_gib, 64), 16);
  EXPECT_EQ(auto_limit(4, 512 * k_mib, k_gib, 64), 1);
  EXPECT_EQ(auto_limit(128, 512 * k_gib, k_gib, 64), 64);
}

}  // namespace
}  // namespace vq
