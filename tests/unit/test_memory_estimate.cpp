#include "memory_estimate.h"

#include <gtest/gtest.h>

namespace vq {
namespace {

constexpr std::int64_t k_now = 1'800'000'000'000;
constexpr std::int64_t k_day_ms = 24 * 3600 * 1000;

TEST(MemoryEstimate, ColdProjectGetsTheConservativeDefault) {
  MemoryEstimate estimate = estimate_memory({}, k_now);
  EXPECT_EQ(estimate.bytes, k_gib);
  EXPECT_EQ(estimate.samples, 0);
}

TEST(MemoryEstimate, SteadyPeaksGiveThePeakPlusTheMargin) {
  std::vector<PastRun> runs(5, PastRun{k_now - 1000, 1000 * k_mib, false});
  MemoryEstimate estimate = estimate_memory(runs, k_now);
  EXPECT_EQ(estimate.samples, 5);
  EXPECT_EQ(estimate.percentile_bytes, 1000 * k_mib);
  EXPECT_NEAR(static_cast<double>(estimate.bytes), 1150.0 * k_mib, k_mib);
}

TEST(MemoryEstimate, HighPercentileIgnoresOneOutlierInTwenty) {
  std::vector<PastRun> runs(19, PastRun{k_now, 500 * k_mib, false});
  runs.push_back(PastRun{k_now, 4000 * k_mib, false});
  EXPECT_EQ(estimate_memory(runs, k_now).percentile_bytes, 500 * k_mib);
  // Three in twenty are above P90: it follows them.
  runs[0].peak_bytes = runs[1].peak_bytes = 3000 * k_mib;
  EXPECT_EQ(estimate_memory(runs, k_now).percentile_bytes, 3000 * k_mib);
}

TEST(MemoryEstimate, OldPeaksDecay) {
  // A week-old heavy history and a few fresh light runs: the fresh ones decide.
  std::vector<PastRun> runs(10, PastRun{k_now - 7 * k_day_ms, 3000 * k_mib, false});
  for (int i = 0; i < 3; ++i) runs.push_back(PastRun{k_now - 1000, 600 * k_mib, false});
  EXPECT_EQ(estimate_memory(runs, k_now).percentile_bytes, 600 * k_mib);
  // Undecayed (a half-life of centuries), the heavy runs would be the P90.
  EstimateRules flat;
  flat.half_life_ms = 1e15;
  EXPECT_EQ(estimate_memory(runs, k_now, flat).percentile_bytes, 3000 * k_mib);
}

TEST(MemoryEstimate, OomKillBumpsThatRunsPeak) {
  std::vector<PastRun> runs{{k_now, 1000 * k_mib, true}};
  EXPECT_EQ(estimate_memory(runs, k_now).percentile_bytes, 1200 * k_mib);
  // Small runs get at least the minimum bump.
  runs[0].peak_bytes = 200 * k_mib;
  EXPECT_EQ(estimate_memory(runs, k_now).percentile_bytes, 300 * k_mib);
}

TEST(MemoryEstimate, TinyPeaksAreRaisedToTheFloor) {
  std::vector<PastRun> runs{{k_now, 10 * k_mib, false}};
  EXPECT_EQ(estimate_memory(runs, k_now).bytes, 256 * k_mib);
}

}  // namespace
}  // namespace vq
