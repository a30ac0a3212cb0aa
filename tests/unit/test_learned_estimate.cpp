#include "learned_estimate.h"

#include <gtest/gtest.h>

#include "estimate_cache.h"
#include "history_rows.h"
#include "temp_dir.h"

namespace vq::history {
namespace {

constexpr std::int64_t k_now = 1'800'000'000'000;

TEST(LearnedEstimate, ThreeRunsOfAProjectGiveTheirPeakPlusTheMarginInTheEstimatesFile) {
  test::TempDir dir;
  auto store = HistoryStore::open(dir / "history.sqlite");
  ASSERT_TRUE(store) << store.error().message;
  for (int i = 0; i < 3; ++i) {
    RunRecord run = test::sample_run(k_now - 1000 * (i + 1), "agent-1", "/src/app");
    run.peak_memory_bytes = 1000LL << 20;
    ASSERT_TRUE(store->append(run));
  }
  RunRecord other = test::sample_run(k_now - 500, "agent-1", "/src/other");
  other.peak_memory_bytes = 5000LL << 20;
  ASSERT_TRUE(store->append(other));

  auto estimate = learned_estimate(*store, "/src/app", k_now);
  ASSERT_TRUE(estimate) << estimate.error().message;
  EXPECT_EQ(estimate->samples, 3);
  EXPECT_NEAR(static_cast<double>(estimate->bytes), 1150.0 * (1 << 20), 1 << 20);

  ASSERT_TRUE(refresh_estimate(*store, dir.path(), "/src/app", k_now));
  auto cached = cached_estimate(dir.path(), "/src/app");
  ASSERT_TRUE(cached);
  EXPECT_EQ(cached->bytes, estimate->bytes);
  // A project without sampled runs keeps the cold default: nothing written.
  ASSERT_TRUE(refresh_estimate(*store, dir.path(), "/src/never", k_now));
  EXPECT_FALSE(cached_estimate(dir.path(), "/src/never"));
}

TEST(LearnedEstimate, AnOomKilledRunRaisesTheEstimate) {
  RunRecord run = test::sample_run(k_now);
  run.peak_memory_bytes = 1000LL << 20;
  run.end = RunEnd::oom_killed;
  run.end_code = 9;
  RunRecord unsampled = test::sample_run(k_now);
  unsampled.peak_memory_bytes.reset();
  auto past = past_runs({run, unsampled});
  ASSERT_EQ(past.size(), 1u);
  EXPECT_TRUE(past[0].oom_killed);
  EXPECT_EQ(estimate_memory(past, k_now).percentile_bytes, 1200ull << 20);
}

}  // namespace
}  // namespace vq::history
