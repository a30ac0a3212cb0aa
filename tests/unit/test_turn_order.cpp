// The line's order with a fake clock: levels, the age bound, fair turns between agents, ties by
// ticket, and per-agent caps still applied when the admission walk follows this order.
#include "turn_order.h"

#include <gtest/gtest.h>

#include "admission_policy.h"

namespace vq {
namespace {

constexpr std::uint64_t k_bound_ms = 60'000;
constexpr std::uint64_t k_t0 = 1'000'000;

Standing waiter(Priority level, std::uint64_t ticket, std::string agent = "a",
                std::uint64_t since_ms = k_t0, std::uint32_t turn = 0) {
  return Standing{level, since_ms, k_bound_ms, ticket, std::move(agent), turn};
}

// Waiters arriving one after another, each given its turn as the store gives it on arrival.
std::vector<Standing> arriving(const std::vector<std::string>& agents,
                               const std::vector<std::string>& running = {}) {
  std::vector<Standing> line;
  std::vector<std::string> waiting;
  for (const std::string& agent : agents) {
    const auto ticket = static_cast<std::uint64_t>(line.size() + 1);
    line.push_back(
        waiter(Priority::normal, ticket, agent, k_t0, arrival_turn(agent, running, waiting)));
    waiting.push_back(agent);
  }
  return line;
}

// Tickets in line order.
std::vector<std::uint64_t> tickets_in_line(const std::vector<Standing>& standings,
                                           std::uint64_t now_ms) {
  std::vector<std::uint64_t> tickets;
  for (const Placement& placed : line_order(standings, now_ms)) {
    tickets.push_back(standings[placed.index].ticket);
  }
  return tickets;
}

TEST(TurnOrder, HigherLevelsGoFirstAndTiesGoByTicket) {
  std::vector<Standing> line = {waiter(Priority::low, 1, "a"), waiter(Priority::normal, 2, "b"),
                                waiter(Priority::high, 3, "c"), waiter(Priority::normal, 4, "d")};
  EXPECT_EQ(tickets_in_line(line, k_t0), (std::vector<std::uint64_t>{3, 2, 4, 1}));
}

TEST(TurnOrder, UrgentGoesBeforeEveryAgedWaiter) {
  std::vector<Standing> line = {waiter(Priority::low, 1, "a"), waiter(Priority::urgent, 2, "b")};
  // The low one has long reached the top aged level.
  EXPECT_EQ(tickets_in_line(line, k_t0 + 10 * k_bound_ms), (std::vector<std::uint64_t>{2, 1}));
}

TEST(TurnOrder, AgeBonusReachesTheTopAgedLevelWithinTheBound) {
  Standing low = waiter(Priority::low, 1);
  EXPECT_EQ(age_bonus(low, k_t0), 0);
  EXPECT_EQ(effective_priority(low, k_t0 + k_bound_ms / 2 - 1), Priority::low);
  EXPECT_EQ(effective_priority(low, k_t0 + k_bound_ms / 2), Priority::normal);
  EXPECT_EQ(effective_priority(low, k_t0 + k_bound_ms - 1), Priority::normal);
  EXPECT_EQ(effective_priority(low, k_t0 + k_bound_ms), Priority::high);
  EXPECT_EQ(effective_priority(low, k_t0 + 100 * k_bound_ms), Priority::high);
  EXPECT_EQ(age_bonus(low, k_t0 + 100 * k_bound_ms), 2);
  Standing high = waiter(Priority::high, 2);
  EXPECT_EQ(age_bonus(high, k_t0 + 100 * k_bound_ms), 0);
  // A clock read before the record's time (another process's clock) gives no bonus.
  EXPECT_EQ(age_bonus(low, k_t0 - 5), 0);
}

TEST(TurnOrder, AStreamOfHighRunsDoesNotKeepALowOnePastTheBound) {
  // The low waiter came first; every 100 ms of the fake clock a new high run arrives and the
  // first in line is admitted. Once the bound has passed, the low one is next.
  std::vector<Standing> line = {waiter(Priority::low, 1, "batch")};
  std::uint64_t now = k_t0;
  std::uint64_t ticket = 2;
  for (int step = 0; step < 2000; ++step, now += 100) {
    line.push_back(waiter(Priority::high, ticket++, "human", now));
    auto order = line_order(line, now);
    const std::uint64_t first = line[order.front().index].ticket;
    if (first == 1) {
      EXPECT_LE(now, k_t0 + k_bound_ms) << "admitted only after the bound";
      return;
    }
    line.erase(line.begin() + static_cast<std::ptrdiff_t>(order.front().index));
  }
  FAIL() << "the low waiter was never first";
}

TEST(TurnOrder, OneAgentsBurstDoesNotQueueAheadOfAnotherAgentsSingleRun) {
  std::vector<Standing> line = arriving({"A", "A", "A", "A", "A", "A", "A", "A", "B"});
  EXPECT_EQ(tickets_in_line(line, k_t0), (std::vector<std::uint64_t>{1, 9, 2, 3, 4, 5, 6, 7, 8}));
  // A's first is admitted: B is still next, A's second does not get turn 0 back.
  line.erase(line.begin());
  EXPECT_EQ(tickets_in_line(line, k_t0).front(), 9u);
}

TEST(TurnOrder, AnAgentsRunningRunsCountInItsTurn) {
  // A already runs one: its waiter has turn 1, B's later one turn 0.
  std::vector<Standing> line = arriving({"A", "B"}, {"A"});
  EXPECT_EQ(line[0].turn, 1u);
  EXPECT_EQ(tickets_in_line(line, k_t0), (std::vector<std::uint64_t>{2, 1}));
}

TEST(TurnOrder, AgentsTakeTurnsRoundRobin) {
  std::vector<Standing> line = arriving({"A", "A", "B", "B", "C"});
  EXPECT_EQ(tickets_in_line(line, k_t0), (std::vector<std::uint64_t>{1, 3, 5, 2, 4}));
}

TEST(TurnOrder, TurnsOrderWaitersWithinOneEffectiveLevelOnly) {
  std::vector<Standing> line = arriving({"A", "A", "B", "B"});
  line[2].level = Priority::high;  // B's first: ahead of every normal one whatever the turns
  line[3].turn = 0;
  EXPECT_EQ(tickets_in_line(line, k_t0), (std::vector<std::uint64_t>{3, 1, 4, 2}));
}

TEST(TurnOrder, AWaiterThatWaitedItsWholeBoundHasTurnZero) {
  // A's eighth run, turn 7, waited the bound: it goes before a newer high run of turn 0 by
  // ticket, so later arrivals cannot keep it waiting.
  std::vector<Standing> line = {waiter(Priority::normal, 8, "A", k_t0, 7),
                                waiter(Priority::high, 20, "H", k_t0 + k_bound_ms, 0)};
  auto order = line_order(line, k_t0 + k_bound_ms);
  EXPECT_EQ(line[order[0].index].ticket, 8u);
  EXPECT_EQ(order[0].round, 0);
  EXPECT_EQ(line_order(line, k_t0 + k_bound_ms - 1)[0].round, 0) << "H's run first before that";
  EXPECT_EQ(line[line_order(line, k_t0 + k_bound_ms - 1)[0].index].ticket, 20u);
}

TEST(TurnOrder, PerAgentCapStillHoldsInTheFairOrder) {
  // A holds its one allowed run; the walk in line order passes A's waiters over for B's.
  std::vector<Standing> line = {waiter(Priority::high, 1, "A"), waiter(Priority::normal, 2, "B")};
  auto order = line_order(line, k_t0);
  QueueScene scene;
  scene.holding = {Claimant{"A", true}};
  for (const Placement& placed : order) scene.ahead.push_back({line[placed.index].agent, true});
  scene.me = Claimant{"C", true};
  scene.rules = AdmissionRules{3, 1, false};
  TurnWalk walk = walk_turns(scene, [](std::size_t) { return WaiterState::running; });
  ASSERT_EQ(walk.served.size(), 1u);
  EXPECT_EQ(scene.ahead[walk.served[0]].agent, "B");
  EXPECT_TRUE(walk.mine);
}

TEST(TurnOrder, LevelsParseByNameOrNumber) {
  EXPECT_EQ(parse_priority("HIGH"), Priority::high);
  EXPECT_EQ(parse_priority("0"), Priority::low);
  EXPECT_EQ(parse_priority("urgent"), Priority::urgent);
  EXPECT_FALSE(parse_priority("4"));
  EXPECT_FALSE(parse_priority("top"));
  EXPECT_EQ(priority_name(Priority::normal), "normal");
}

}  // namespace
}  // namespace vq
