#include "wait_display.h"

#include <gtest/gtest.h>

#include <string>

namespace vq {
namespace {

Acquired timed_out_after(double waited_s) {
  Acquired acquired;
  acquired.outcome = Acquired::Outcome::timed_out;
  acquired.waited_s = waited_s;
  acquired.last.limit = 1;
  HolderInfo holder;
  holder.pid = 4121;
  acquired.last.holders.push_back(holder);
  return acquired;
}

TEST(GaveUpLine, ASubSecondWaitReadsInTenthsNotZero) {
  const std::string line = gave_up_line(timed_out_after(0.3004), "/q/vitest-queue.log");
  EXPECT_NE(line.find("vq: gave up after 0.3s waiting for a vitest slot; 1/1 busy: pid 4121"),
            std::string::npos)
      << line;
  EXPECT_NE(gave_up_line(timed_out_after(300.02), "").find("after 300.0s"), std::string::npos);
}

TEST(GaveUpLine, NamesTheLogOnlyWhenThereIsOne) {
  const std::string with_log = gave_up_line(timed_out_after(1), "/q/vitest-queue.log");
  EXPECT_TRUE(with_log.ends_with("or try again later; log: /q/vitest-queue.log")) << with_log;
  const std::string without = gave_up_line(timed_out_after(1), "");
  EXPECT_TRUE(without.ends_with("or try again later")) << without;
  EXPECT_EQ(without.find("log"), std::string::npos) << without;
}

TEST(GaveUpLine, APausedQueueWithNoHoldersSaysSo) {
  Acquired acquired = timed_out_after(2);
  acquired.last.holders.clear();
  acquired.last.paused = true;
  EXPECT_NE(gave_up_line(acquired, "").find("0/1 busy (queue paused) — raise VQ_QUEUE_TIMEOUT"),
            std::string::npos)
      << gave_up_line(acquired, "");
}

}  // namespace
}  // namespace vq
