// Priorities and fair turns with real shim processes: the fake vitest's record file is the
// observer of who ran when, not anything vq says about itself.
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "process_harness.h"

namespace vq::mp {
namespace {

using PriorityTest = ShimTest;

int starts_before(const std::vector<RecordEvent>& events, const std::string& prefix,
                  std::int64_t ns) {
  return static_cast<int>(std::count_if(events.begin(), events.end(), [&](const RecordEvent& e) {
    return e.kind == RecordEvent::Kind::start && e.id.rfind(prefix, 0) == 0 && e.ns < ns;
  }));
}

TEST_F(PriorityTest, AStreamOfHighRunsDoesNotKeepALowRunWaitingPastTheAgeBound) {
  constexpr double k_bound_s = 2;
  const Env base{
      {"VQ_MAX_PROCESSES", "1"}, {"VQ_QUEUE_TIMEOUT", "60"}, {"VQ_PRIORITY_MAX_AGE", "2"}};
  Env holding = base;
  holding["FAKE_SLEEP_MS"] = "300";
  Process holder = start_holder("holder", holding);
  Env low = base;
  low["VQ_PRIORITY"] = "low";
  low["FAKE_SLEEP_MS"] = "10";
  const std::int64_t queued_ns = monotonic_ns();
  Process low_run = start_waiter("low", low);

  // Two high runs wait at every moment until the low one starts (or long past the bound).
  Env high = base;
  high["VQ_PRIORITY"] = "high";
  high["FAKE_SLEEP_MS"] = "150";
  std::vector<Process> highs;
  const std::int64_t give_up_ns = queued_ns + 10'000'000'000;
  while (!has_started("low") && monotonic_ns() < give_up_ns) {
    const auto events = records();
    const int started = starts_before(events, "high-", monotonic_ns() + 1);
    if (static_cast<int>(highs.size()) - started < 2) {
      highs.push_back(start_waiter("high-" + std::to_string(highs.size()), high));
    } else {
      sleep_for_ms(20);
    }
  }
  ASSERT_TRUE(eventually([&] { return has_started("low"); })) << low_run.stderr_text();
  const auto events = records();
  const auto low_start = find_event(events, RecordEvent::Kind::start, "low");
  const double waited_s = static_cast<double>(low_start->ns - queued_ns) / 1e9;
  const int highs_first = starts_before(events, "high-", low_start->ns);
  std::printf("[   INFO   ] low run waited %.2f s (bound %.0f s) behind %d high runs\n", waited_s,
              k_bound_s, highs_first);
  EXPECT_GE(highs_first, 3) << "high runs go first while the low one is young";
  // The bound, plus the run in progress when it is reached, plus slack for a loaded machine.
  EXPECT_LE(waited_s, k_bound_s + 2.5) << "the age bonus did not bring the low run to the top";
  for (Process& run : highs) ASSERT_TRUE(run.wait());
  ASSERT_TRUE(low_run.wait());
  EXPECT_EQ(max_overlap(records()), 1);
}

TEST_F(PriorityTest, AgentBQueuingOneRunAfterAgentAQueuedEightIsAdmittedWithinTwoAdmissions) {
  const Env base{{"VQ_MAX_PROCESSES", "1"}, {"VQ_QUEUE_TIMEOUT", "60"}};
  Env holding = base;
  holding["FAKE_SLEEP_MS"] = "30000";
  holding["VQ_AGENT_ID"] = "agent-z";
  Process holder = start_holder("holder", holding);
  Env a = base;
  a["VQ_AGENT_ID"] = "agent-a";
  a["FAKE_SLEEP_MS"] = "30";
  std::vector<Process> runs;
  for (int i = 0; i < 8; ++i) runs.push_back(start_waiter("a-" + std::to_string(i), a));
  Env b = a;
  b["VQ_AGENT_ID"] = "agent-b";
  runs.push_back(start_waiter("b", b));
  holder.send(SIGTERM);
  ASSERT_TRUE(holder.wait());
  for (Process& run : runs) {
    const auto status = run.wait();
    ASSERT_TRUE(status);
    EXPECT_EQ(describe_status(*status), exited(0)) << run.stderr_text();
  }
  std::vector<std::string> order = start_order(records());
  order.erase(std::remove(order.begin(), order.end(), "holder"), order.end());
  const auto b_at = std::find(order.begin(), order.end(), "b") - order.begin();
  std::string shown;
  for (const std::string& id : order) shown += id + " ";
  EXPECT_LE(b_at, 1) << "start order: " << shown;
  EXPECT_EQ(order.front(), "a-0") << "ties by arrival: A's first run came first; " << shown;
  // The holder, ended by a signal, records no end line: leave it out of the overlap.
  auto events = records();
  std::erase_if(events, [](const RecordEvent& e) { return e.id == "holder"; });
  EXPECT_EQ(max_overlap(events), 1);
}

}  // namespace
}  // namespace vq::mp
