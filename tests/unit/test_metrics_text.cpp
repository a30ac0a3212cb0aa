#include "metrics_text.h"

#include <gtest/gtest.h>

namespace vq::admin {
namespace {

TEST(MetricsText, LabelValuesEscapeBackslashQuoteAndNewline) {
  EXPECT_EQ(label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
}

TEST(MetricsText, AnUnreadableHistoryLeavesItsFamiliesOutRatherThanShowingZeros) {
  LiveQueue live{"/tmp/q", 2, 4, false, 3, 12.5};
  std::string text = render_metrics(std::nullopt, live);
  EXPECT_EQ(text.find("vq_runs_total"), std::string::npos);
  EXPECT_NE(text.find("vq_slots_in_use{queue_dir=\"/tmp/q\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("vq_oldest_wait_seconds{queue_dir=\"/tmp/q\"} 12.5\n"), std::string::npos);
}

TEST(MetricsText, StoredCountersBecomeCumulativeBucketsWithEmptyOnesAsZero) {
  std::vector<history::CounterValue> counters = {{"vq_run_wait_seconds_bucket", "le=\"5\"", 2},
                                                 {"vq_run_wait_seconds_bucket", "le=\"+Inf\"", 3},
                                                 {"vq_run_wait_seconds_count", "", 3},
                                                 {"vq_runs_total", "end=\"signaled\"", 4}};
  std::string text = render_metrics(counters, std::nullopt);
  EXPECT_NE(text.find("vq_run_wait_seconds_bucket{le=\"1\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("vq_run_wait_seconds_bucket{le=\"5\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("vq_run_wait_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("vq_runs_total{end=\"signaled\"} 4\n"), std::string::npos);
  EXPECT_NE(text.find("vq_runs_total{end=\"oom_killed\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE vq_runs_total counter\n"), std::string::npos);
  EXPECT_EQ(text.find("vq_slots_in_use"), std::string::npos);
}

}  // namespace
}  // namespace vq::admin
