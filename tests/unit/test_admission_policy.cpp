#include "admission_policy.h"

#include <gtest/gtest.h>

namespace vq {
namespace {

Claimant shell() {
  return Claimant{"shell@pts/1", false};
}
Claimant agent(const std::string& id) {
  return Claimant{id, true};
}

// Every waiter ahead runs; counts how often its state was asked for.
struct States {
  std::vector<WaiterState> states;
  mutable int asked = 0;
  std::function<WaiterState(std::size_t)> fn() const {
    return [this](std::size_t i) {
      ++asked;
      return i < states.size() ? states[i] : WaiterState::running;
    };
  }
};

const AdmissionRules k_four{4, 1, false};

TEST(AdmissionPolicy, FirstWaiterWithAFreeSlotGoes) {
  States states;
  EXPECT_TRUE(is_my_turn({shell(), shell()}, {}, shell(), k_four, states.fn()));
}

TEST(AdmissionPolicy, FreeSlotsGoToOlderWaitersFirst) {
  States states;
  std::vector<Claimant> holders(2, shell());
  EXPECT_FALSE(is_my_turn(holders, {shell(), shell()}, shell(), k_four, states.fn()));
  EXPECT_TRUE(is_my_turn(holders, {shell()}, shell(), k_four, states.fn()));
}

TEST(AdmissionPolicy, NobodyWhenFullPausedOrOverALoweredLimit) {
  States states;
  EXPECT_FALSE(is_my_turn(std::vector<Claimant>(4, shell()), {}, shell(), k_four, states.fn()));
  EXPECT_FALSE(is_my_turn({}, {}, shell(), {4, 1, true}, states.fn()));
  EXPECT_FALSE(
      is_my_turn(std::vector<Claimant>(3, shell()), {}, shell(), {2, 1, false}, states.fn()));
  EXPECT_EQ(states.asked, 0);
}

TEST(AdmissionPolicy, DeadAndStoppedWaitersAheadDoNotStallTheQueue) {
  States states{{WaiterState::dead, WaiterState::stopped}};
  std::vector<Claimant> holders(3, shell());
  EXPECT_TRUE(is_my_turn(holders, {shell(), shell()}, shell(), k_four, states.fn()));
  EXPECT_EQ(states.asked, 2);
}

TEST(AdmissionPolicy, WalkStopsOnceTheFreeSlotsAreSpokenFor) {
  States states;
  std::vector<Claimant> holders(3, shell());
  std::vector<Claimant> ahead(500, shell());
  EXPECT_FALSE(is_my_turn(holders, ahead, shell(), k_four, states.fn()));
  EXPECT_EQ(states.asked, 1);
}

TEST(AdmissionPolicy, ExplicitAgentAtItsCapIsPassedOverWithoutStallingOthers) {
  States states;
  // agent-1 runs already; its waiter ahead of me takes no slot, so I get the last free one.
  std::vector<Claimant> holders{agent("agent-1"), shell(), shell()};
  EXPECT_TRUE(is_my_turn(holders, {agent("agent-1")}, shell(), k_four, states.fn()));
  EXPECT_EQ(states.asked, 0);
  EXPECT_FALSE(is_my_turn(holders, {}, agent("agent-1"), k_four, states.fn()));
}

TEST(AdmissionPolicy, TwoWaitersOfOneAgentTakeOneSlotBetweenThem) {
  States states;
  EXPECT_FALSE(is_my_turn({}, {agent("a")}, agent("a"), k_four, states.fn()));
  EXPECT_TRUE(is_my_turn({}, {agent("a")}, agent("a"), {4, 2, false}, states.fn()));
  EXPECT_TRUE(is_my_turn({}, {agent("a")}, agent("b"), k_four, states.fn()));
}

TEST(AdmissionPolicy, DerivedAgentLabelsAreNotCapped) {
  States states;
  EXPECT_TRUE(is_my_turn({shell()}, {shell()}, shell(), k_four, states.fn()));
}

// The walk names the waiters ahead that take the free slots: those a waiter that cannot go tells
// (they may be asleep without watching the holders).
TEST(AdmissionPolicy, WalkNamesTheRunningWaitersAheadThatTakeTheFreeSlots) {
  States states{{WaiterState::running, WaiterState::stopped, WaiterState::running}};
  QueueScene scene{std::vector<Claimant>(2, shell()), std::vector<Claimant>(3, shell()), shell(),
                   k_four};
  TurnWalk walk = walk_turns(scene, states.fn());
  EXPECT_FALSE(walk.mine);
  EXPECT_EQ(walk.served, (std::vector<std::size_t>{0, 2}));
}

TEST(AdmissionPolicy, WalkServesNobodyWhilePaused) {
  States states;
  QueueScene scene{{}, std::vector<Claimant>(2, shell()), shell(), {4, 1, true}};
  TurnWalk walk = walk_turns(scene, states.fn());
  EXPECT_FALSE(walk.mine);
  EXPECT_TRUE(walk.served.empty());
  EXPECT_EQ(states.asked, 0);
}

// Only the waiter one more free slot would admit watches the holders; the others watch the
// nearest live waiter ahead, so a holder's exit wakes one process, not the queue.
TEST(AdmissionPolicy, OnlyTheNextInLineWatchesTheHolders) {
  States states;
  QueueScene first{std::vector<Claimant>(4, shell()), {}, shell(), k_four};
  WaitPlan plan = plan_wait(first, true, states.fn());
  EXPECT_TRUE(plan.watch_holders);
  EXPECT_TRUE(plan.watch_ahead.empty());

  QueueScene third{std::vector<Claimant>(4, shell()), std::vector<Claimant>(2, shell()), shell(),
                   k_four};
  plan = plan_wait(third, true, states.fn());
  EXPECT_FALSE(plan.watch_holders);
  EXPECT_EQ(plan.watch_ahead, (std::vector<std::size_t>{1}));
}

TEST(AdmissionPolicy, TargetedWaiterPassesOverStoppedAndDeadWaitersAhead) {
  States states{{WaiterState::running, WaiterState::stopped, WaiterState::dead}};
  QueueScene scene{std::vector<Claimant>(4, shell()), std::vector<Claimant>(3, shell()), shell(),
                   k_four};
  WaitPlan plan = plan_wait(scene, true, states.fn());
  EXPECT_FALSE(plan.watch_holders);
  EXPECT_EQ(plan.watch_ahead, (std::vector<std::size_t>{0}));
}

// Without its own FIFO nobody can poke it, and with explicit agents whose turn an exit brings
// depends on the holder's agent: then it watches every holder and the waiters ahead.
TEST(AdmissionPolicy, UnpokeableOrCappedWaitersWatchEveryone) {
  States states{{WaiterState::running, WaiterState::stopped, WaiterState::dead}};
  QueueScene scene{std::vector<Claimant>(4, shell()), std::vector<Claimant>(3, shell()), shell(),
                   k_four};
  WaitPlan plan = plan_wait(scene, false, states.fn());
  EXPECT_TRUE(plan.watch_holders);
  EXPECT_EQ(plan.watch_ahead, (std::vector<std::size_t>{1, 0}));

  scene.holding[0] = agent("agent-1");
  plan = plan_wait(scene, true, states.fn());
  EXPECT_TRUE(plan.watch_holders);
  EXPECT_EQ(plan.watch_ahead, (std::vector<std::size_t>{1, 0}));
}

TEST(AdmissionPolicy, AWaiterWatchesAtMostSixteenAhead) {
  States states;
  QueueScene scene{std::vector<Claimant>(4, shell()), std::vector<Claimant>(40, shell()), shell(),
                   k_four};
  WaitPlan plan = plan_wait(scene, false, states.fn());
  EXPECT_EQ(plan.watch_ahead.size(), k_max_watched_waiters);
  EXPECT_EQ(plan.watch_ahead.front(), 39u);
}

// An admitted waiter tells the ones right behind it, up to the first running one.
TEST(AdmissionPolicy, SuccessorsAreTheWaitersBehindUpToTheFirstRunningOne) {
  States states{
      {WaiterState::dead, WaiterState::stopped, WaiterState::running, WaiterState::running}};
  EXPECT_EQ(successors_to_wake(4, states.fn()), (std::vector<std::size_t>{1, 2}));
  EXPECT_TRUE(successors_to_wake(0, states.fn()).empty());
}

}  // namespace
}  // namespace vq
