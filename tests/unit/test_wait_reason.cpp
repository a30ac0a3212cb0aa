#include "wait_reason.h"

#include <gtest/gtest.h>

#include "memory_estimate.h"

namespace vq {
namespace {

QueueScene scene_of(int holding, int ahead, int limit, bool paused = false) {
  QueueScene scene;
  scene.holding.assign(static_cast<std::size_t>(holding), Claimant{"a", false});
  scene.ahead.assign(static_cast<std::size_t>(ahead), Claimant{"b", false});
  scene.me = Claimant{"me", false};
  scene.rules = AdmissionRules{limit, 1, paused};
  return scene;
}

TEST(WaitReason, EachBlockIsNamedWithItsFigures) {
  TurnWalk not_mine;
  EXPECT_EQ(reason_for(scene_of(4, 0, 4), not_mine, nullptr, 0).block, WaitBlock::slots);
  EXPECT_EQ(reason_for(scene_of(1, 0, 4, true), not_mine, nullptr, 0).block, WaitBlock::paused);
  EXPECT_EQ(reason_for(scene_of(3, 1, 4), not_mine, nullptr, 0).block, WaitBlock::ahead);
  QueueScene capped = scene_of(1, 0, 4);
  capped.holding[0] = capped.me = Claimant{"agent-1", true};
  EXPECT_EQ(reason_for(capped, not_mine, nullptr, 0).block, WaitBlock::agent_cap);

  TurnWalk mine{true, {}};
  RoomVerdict room;
  room.admit = false;
  room.block = RoomBlock::memory;
  room.need = 1288490189;  // 1.2 GiB
  room.available = 2 * k_gib;
  room.growing = 1288490189;
  WaitReason reason = reason_for(scene_of(2, 0, 4), mine, &room, 3);
  EXPECT_EQ(reason.block, WaitBlock::memory);
  EXPECT_EQ(describe(reason),
            "needs ~1.2 GiB, room 819 MiB: available 2.0 − growing runs 1.2 (2/4 busy)");
  room.block = RoomBlock::pressure;
  reason = reason_for(scene_of(2, 0, 4), mine, &room, 23.4);
  EXPECT_EQ(reason.block, WaitBlock::pressure);
  EXPECT_NE(describe(reason).find("memory pressure 23%"), std::string::npos);
}

TEST(WaitReason, SlotsAreShownAsBusyOfLimit) {
  EXPECT_EQ(describe(reason_for(scene_of(4, 0, 4), TurnWalk{}, nullptr, 0)), "4/4 busy");
  EXPECT_EQ(block_name(WaitBlock::memory), "memory");
  EXPECT_EQ(format_bytes(512 * k_mib), "512 MiB");
  EXPECT_EQ(format_bytes(3 * k_gib / 2), "1.5 GiB");
}

}  // namespace
}  // namespace vq
