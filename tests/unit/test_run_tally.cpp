#include "run_tally.h"

#include <gtest/gtest.h>

#include <map>

#include "history_rows.h"

namespace vq::history {
namespace {

std::map<std::string, double> by_sample(const std::vector<CounterDelta>& deltas) {
  std::map<std::string, double> samples;
  for (const CounterDelta& delta : deltas)
    samples[delta.name + "{" + delta.labels + "}"] += delta.delta;
  return samples;
}

TEST(RunTally, AnAdmittedRunCountsItsEndWaitPeakAndCpu) {
  RunRecord run = test::sample_run(100'000);  // waited 1 s, peak 300 MiB, 2.5 s CPU
  auto samples = by_sample(tally(run));
  EXPECT_EQ(samples["vq_runs_total{end=\"exited\"}"], 1);
  EXPECT_EQ(samples.count("vq_run_wait_seconds_bucket{le=\"0.5\"}"), 0u);
  EXPECT_EQ(samples["vq_run_wait_seconds_bucket{le=\"1\"}"], 1);
  EXPECT_EQ(samples["vq_run_wait_seconds_bucket{le=\"+Inf\"}"], 1);
  EXPECT_EQ(samples["vq_run_wait_seconds_sum{}"], 1);
  EXPECT_EQ(samples["vq_run_wait_seconds_count{}"], 1);
  EXPECT_EQ(samples.count("vq_run_peak_memory_bytes_bucket{le=\"268435456\"}"), 0u);
  EXPECT_EQ(samples["vq_run_peak_memory_bytes_bucket{le=\"536870912\"}"], 1);
  EXPECT_EQ(samples["vq_run_peak_memory_bytes_sum{}"], 300.0 * (1 << 20));
  EXPECT_EQ(samples["vq_run_cpu_seconds_total{}"], 2.5);
}

TEST(RunTally, ARunNeverAdmittedOrSampledCountsOnlyItsEnd) {
  RunRecord run = test::sample_run(100'000);
  run.admitted_at_ms.reset();
  run.peak_memory_bytes.reset();
  run.cpu_time_ms.reset();
  run.end = RunEnd::wait_timed_out;
  auto samples = by_sample(tally(run));
  EXPECT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples["vq_runs_total{end=\"wait_timed_out\"}"], 1);
}

TEST(RunTally, NumbersAreWrittenAsPrometheusReadsThem) {
  EXPECT_EQ(prometheus_number(0.1), "0.1");
  EXPECT_EQ(prometheus_number(134217728), "134217728");
  EXPECT_EQ(prometheus_number(1.0 / 0.0), "+Inf");
}

}  // namespace
}  // namespace vq::history
