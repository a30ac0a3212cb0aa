// Invariant 4: waiters are admitted in arrival order.
#include <signal.h>

#include <string>
#include <vector>

#include "process_harness.h"

namespace vq::mp {
namespace {

using FifoTest = ShimTest;

TEST_F(FifoTest, WaitersArrivingApartAreAdmittedInArrivalOrder) {
  Process holder = start_holder("holder", {{"VQ_MAX_PROCESSES", "1"}, {"FAKE_SLEEP_MS", "30000"}});

  // Each waiter is known to be queued (it said so) before the next one is started, and the
  // next one comes a further 150 ms later, so arrival order is unambiguous.
  const std::vector<std::string> arrival{"w1", "w2", "w3", "w4", "w5"};
  std::vector<Process> waiters;
  for (const auto& id : arrival) {
    waiters.push_back(start_waiter(id, {{"VQ_MAX_PROCESSES", "1"}, {"FAKE_SLEEP_MS", "50"}}));
    sleep_for_ms(150);
  }
  EXPECT_EQ(start_order(records()), std::vector<std::string>{"holder"})
      << "someone was admitted while the only slot was held";

  holder.send(SIGTERM);
  ASSERT_TRUE(holder.wait());
  for (auto& waiter : waiters) {
    const auto status = waiter.wait();
    ASSERT_TRUE(status);
    EXPECT_EQ(describe_status(*status), exited(0)) << "stderr: " << waiter.stderr_text();
  }

  std::vector<std::string> expected{"holder"};
  expected.insert(expected.end(), arrival.begin(), arrival.end());
  EXPECT_EQ(start_order(records()), expected);
  // The holder was killed before it could record its end; the waiters must not overlap.
  auto waiter_events = records();
  std::erase_if(waiter_events, [](const RecordEvent& event) { return event.id == "holder"; });
  EXPECT_EQ(max_overlap(waiter_events), 1);
}

}  // namespace
}  // namespace vq::mp
