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

TEST(AdmissionPlan, FirstWaiterWithAFreeSlotGoes) {
  States states;
  EXPECT_TRUE(is_my_turn({shell(), shell()}, {}, shell(), k_four, states.fn()));
}

TEST(AdmissionPlan, FreeSlotsGoToOlderWaitersFirst) {
  States states;
  std::vector<Claimant> holders(2, shell());
  EXPECT_FALSE(is_my_turn(holders, {shell(), shell()}, shell(), k_four, states.fn()));
  EXPECT_TRUE(is_my_turn(holders, {shell()}, shell(), k_four, states.fn()));
}

TEST(AdmissionPlan, NobodyWhenFullPausedOrOverALoweredLimit) {
  States states;
  EXPECT_FALSE(is_my_turn(std::vector<Claimant>(4, shell()), {}, shell(), k_four, states.fn()));
  EXPECT_FALSE(is_my_turn({}, {}, shell(), {4, 1, true}, states.fn()));
  EXPECT_FALSE(
      is_my_turn(std::vector<Claimant>(3, shell()), {}, shell(), {2, 1, false}, states.fn()));
  EXPECT_EQ(states.asked, 0);
}

TEST(AdmissionPlan, DeadAndStoppedWaitersAheadDoNotStallTheQueue) {
  States states{{WaiterState::dead, WaiterState::stopped}};
  std::vector<Claimant> holders(3, shell());
  EXPECT_TRUE(is_my_turn(holders, {shell(), shell()}, shell(), k_four, states.fn()));
  EXPECT_EQ(states.asked, 2);
}

TEST(AdmissionPlan, WalkStopsOnceTheFreeSlotsAreSpokenFor) {
  States states;
  std::vector<Claimant> holders(3, shell());
  std::vector<Claimant> ahead(500, shell());
  EXPECT_FALSE(is_my_turn(holders, ahead, shell(), k_four, states.fn()));
  EXPECT_EQ(states.asked, 1);
}

TEST(AdmissionPlan, ExplicitAgentAtItsCapIsPassedOverWithoutStallingOthers) {
  States states;
  // agent-1 runs already; its waiter ahead of me takes no slot, so I get the last free one.
  std::vector<Claimant> holders{agent("agent-1"), shell(), shell()};
  EXPECT_TRUE(is_my_turn(holders, {agent("agent-1")}, shell(), k_four, states.fn()));
  EXPECT_EQ(states.asked, 0);
  EXPECT_FALSE(is_my_turn(holders, {}, agent("agent-1"), k_four, states.fn()));
}

TEST(AdmissionPlan, TwoWaitersOfOneAgentTakeOneSlotBetweenThem) {
  States states;
  EXPECT_FALSE(is_my_turn({}, {agent("a")}, agent("a"), k_four, states.fn()));
  EXPECT_TRUE(is_my_turn({}, {agent("a")}, agent("a"), {4, 2, false}, states.fn()));
  EXPECT_TRUE(is_my_turn({}, {agent("a")}, agent("b"), k_four, states.fn()));
}

TEST(AdmissionPlan, DerivedAgentLabelsAreNotCapped) {
  States states;
  EXPECT_TRUE(is_my_turn({shell()}, {shell()}, shell(), k_four, states.fn()));
}

}  // namespace
}  // namespace vq
