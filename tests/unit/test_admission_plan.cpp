#include "admission_plan.h"

#include <gtest/gtest.h>

namespace vq {
namespace {

QueuedClaimant waiter(std::uint64_t ticket, std::string agent = "shell@pts/1",
                      bool explicit_id = false) {
  QueuedClaimant claimant;
  claimant.ticket = ticket;
  claimant.agent = std::move(agent);
  claimant.agent_explicit = explicit_id;
  return claimant;
}

using Tickets = std::vector<std::uint64_t>;

TEST(AdmissionPlan, FreeSlotsGoToTheOldestTickets) {
  std::vector<Claimant> holders(2);
  auto admitted = admissible_tickets(holders, {waiter(9), waiter(3), waiter(5)}, {4, 1, false});
  EXPECT_EQ(admitted, (Tickets{3, 5}));
}

TEST(AdmissionPlan, NobodyWhenFullOrPaused) {
  std::vector<Claimant> holders(4);
  EXPECT_TRUE(admissible_tickets(holders, {waiter(1)}, {4, 1, false}).empty());
  EXPECT_TRUE(admissible_tickets({}, {waiter(1)}, {4, 1, true}).empty());
}

TEST(AdmissionPlan, MoreHoldersThanALoweredLimitAdmitsNobody) {
  std::vector<Claimant> holders(3);
  EXPECT_TRUE(admissible_tickets(holders, {waiter(1)}, {2, 1, false}).empty());
}

TEST(AdmissionPlan, ExplicitAgentAtItsCapIsPassedOverWithoutStallingOthers) {
  std::vector<Claimant> holders{Claimant{"agent-1", true}};
  auto admitted = admissible_tickets(
      holders, {waiter(1, "agent-1", true), waiter(2, "agent-2", true), waiter(3)}, {4, 1, false});
  EXPECT_EQ(admitted, (Tickets{2, 3}));
}

TEST(AdmissionPlan, TwoWaitersOfOneAgentTakeOneSlotBetweenThem) {
  auto admitted = admissible_tickets({}, {waiter(1, "agent-1", true), waiter(2, "agent-1", true)},
                                     {4, 1, false});
  EXPECT_EQ(admitted, (Tickets{1}));
  admitted = admissible_tickets({}, {waiter(1, "agent-1", true), waiter(2, "agent-1", true)},
                                {4, 2, false});
  EXPECT_EQ(admitted, (Tickets{1, 2}));
}

TEST(AdmissionPlan, DerivedAgentLabelsAreNotCapped) {
  std::vector<Claimant> holders{Claimant{"shell@pts/1", false}};
  auto admitted = admissible_tickets(holders, {waiter(1), waiter(2)}, {4, 1, false});
  EXPECT_EQ(admitted, (Tickets{1, 2}));
}

}  // namespace
}  // namespace vq
