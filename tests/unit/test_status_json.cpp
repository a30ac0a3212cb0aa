#include "status_json.h"

#include <gtest/gtest.h>

namespace vq::admin {
namespace {

TEST(StatusJson, HasTheDocumentedFieldsWithTheirTypes) {
  StatusReport report;
  report.queue_dir = "/q";
  report.log_file = "/q/vitest-queue.log";
  report.limit = 4;
  ActiveRun run;
  run.pid = 10;
  run.has_record = true;
  run.agent = "a";
  run.started_ms = 1'700'000'000'000;
  run.runtime_s = 1.5;
  run.usage = TreeUsage{4096, 7, 2};
  report.active.push_back(run);
  report.waiting.push_back(WaitingRun{11, "b", 1, 3, 1'700'000'000'500, 2.5, true});

  auto json = status_json(report);
  EXPECT_EQ(json["schema_version"], 2);
  EXPECT_EQ(json["limit"], 4);
  EXPECT_EQ(json["paused"], false);
  EXPECT_EQ(json["active"][0]["pid"], 10);
  EXPECT_EQ(json["active"][0]["started"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(json["active"][0]["rss_bytes"], 4096);
  EXPECT_TRUE(json["active"][0]["cpu_percent"].is_null());
  EXPECT_EQ(json["active"][0]["processes"], 2);
  EXPECT_EQ(json["waiting"][0]["position"], 1);
  EXPECT_EQ(json["waiting"][0]["waiting_s"], 2.5);
  EXPECT_EQ(json["waiting"][0]["stopped"], true);
  EXPECT_TRUE(json["ended"].is_array());
  EXPECT_TRUE(json["stale"].is_array());
}

TEST(StatusJson, UnreadableTableHasNullLimit) {
  StatusReport report;
  report.table = HeaderCheck::corrupt;
  auto json = status_json(report);
  EXPECT_TRUE(json["limit"].is_null());
  EXPECT_EQ(json["table"], "corrupt");
}

}  // namespace
}  // namespace vq::admin
