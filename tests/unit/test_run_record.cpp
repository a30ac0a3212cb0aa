#include "run_record.h"

#include <gtest/gtest.h>

namespace vq::history {
namespace {

TEST(RunRecord, DescribesEachEndInWords) {
  EXPECT_EQ(describe(RunEnd::exited, 0), "exited 0");
  EXPECT_EQ(describe(RunEnd::exited, 42), "exited 42");
  EXPECT_EQ(describe(RunEnd::signaled, 9), "killed by signal 9");
  EXPECT_EQ(describe(RunEnd::oom_killed, 9), "killed by the OOM killer");
  EXPECT_EQ(describe(RunEnd::wait_timed_out, 0), "timed out waiting");
  EXPECT_EQ(describe(RunEnd::wait_interrupted, 2), "interrupted while waiting (signal 2)");
  EXPECT_EQ(describe(RunEnd::unknown, 0), "unknown");
}

TEST(RunRecord, OutOfRangeCodesStillDescribeTheEnd) {
  EXPECT_EQ(describe(RunEnd::exited, 300), "exited");
  EXPECT_EQ(describe(RunEnd::signaled, 0), "killed by a signal");
}

TEST(RunRecord, EndNamesRoundTripAndUnknownNamesReadAsUnknown) {
  for (RunEnd end : k_all_run_ends) EXPECT_EQ(end_from_name(end_name(end)), end);
  EXPECT_EQ(end_from_name("exploded"), RunEnd::unknown);
}

TEST(RunRecord, WaitOfARunNeverAdmittedLastsUntilItsEnd) {
  RunRecord run;
  run.queued_at_ms = 1000;
  run.ended_at_ms = 4000;
  EXPECT_EQ(wait_ms(run), 3000);
  EXPECT_FALSE(run_ms(run).has_value());
  run.admitted_at_ms = 1500;
  EXPECT_EQ(wait_ms(run), 500);
  EXPECT_EQ(run_ms(run), 2500);
}

}  // namespace
}  // namespace vq::history
