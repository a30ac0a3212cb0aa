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
  run.admitted_ms = 1'700'000'000'000;
  run.runtime_s = 1.5;
  run.usage = TreeUsage{4096, 7, 2};
  report.active.push_back(run);
  report.waiting.push_back(WaitingRun{11, "b", 1, 3, 1'700'000'000'500, 2.5, true});
  report.waiting[0].level = Priority::low;
  report.waiting[0].age_bonus = 2;
  report.waiting[0].effective = Priority::high;
  report.waiting[0].round = 1;

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
  EXPECT_EQ(json["waiting"][0]["ticket"], 3);
  EXPECT_EQ(json["waiting"][0]["priority"], "low");
  EXPECT_EQ(json["waiting"][0]["age_bonus"], 2);
  EXPECT_EQ(json["waiting"][0]["effective_priority"], "high");
  EXPECT_EQ(json["waiting"][0]["turn"], 1);
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

TEST(StatusJson, TextThatIsNotUtf8IsWrittenAsHexEscapesInValidJson) {
  StatusReport report;
  report.queue_dir = "/q";
  ActiveRun run;
  run.has_record = true;
  run.agent = "a\xfe";
  run.cwd = "/tmp/dir\xff";                 // a directory named with byte 0xff
  run.command = "vitest run -t \"caf\xc3";  // é cut after its first byte
  report.active.push_back(run);
  report.waiting.push_back(WaitingRun{11, "b\xff", 1, 3, 0, 2.5, false});
  report.stale.push_back({StaleRecord::Kind::holder, 2, 4242, "c\x80", "process gone"});

  std::string text;
  ASSERT_NO_THROW(text = status_json(report).dump(2));
  auto parsed = nlohmann::json::parse(text);
  EXPECT_EQ(parsed["active"][0]["cwd"], "/tmp/dir\\xff");
  EXPECT_EQ(parsed["active"][0]["command"], "vitest run -t \"caf\\xc3");
  EXPECT_EQ(parsed["active"][0]["agent"], "a\\xfe");
  EXPECT_EQ(parsed["waiting"][0]["agent"], "b\\xff");
  EXPECT_EQ(parsed["stale"][0]["agent"], "c\\x80");
}

TEST(StatusJson, ValidTextWithControlCharactersIsKeptExactly) {
  StatusReport report;
  ActiveRun run;
  run.has_record = true;
  run.cwd = "/tmp/caf\xc3\xa9\n\x1b[2J";
  report.active.push_back(run);
  auto parsed = nlohmann::json::parse(status_json(report).dump());
  EXPECT_EQ(parsed["active"][0]["cwd"], run.cwd) << "the JSON encoder escapes these itself";
}

TEST(StatusJson, AWaiterBlockedOnMemorySaysSoWithTheFigures) {
  StatusReport report;
  report.limit = 4;
  ActiveRun holder;
  holder.has_record = true;
  holder.estimate_bytes = 3ull << 30;
  report.active.push_back(holder);
  WaitingRun waiter{11, "b", 1, 3, 0, 2.5, false};
  waiter.estimate_bytes = 1ull << 30;
  waiter.reason = WaitReason{WaitBlock::memory, 1, 4, 1, 1ull << 30, 2ull << 30, 3ull << 29, 0, 0};
  report.waiting.push_back(waiter);
  report.waiting.push_back(WaitingRun{12, "c", 2, 4, 0, 1.0, false});

  auto json = status_json(report);
  EXPECT_EQ(json["active"][0]["memory_estimate_bytes"], 3ull << 30);
  EXPECT_EQ(json["waiting"][0]["memory_estimate_bytes"], 1ull << 30);
  EXPECT_EQ(json["waiting"][0]["blocked_on"], "memory");
  EXPECT_EQ(json["waiting"][0]["room"]["available_bytes"], 2ull << 30);
  EXPECT_EQ(json["waiting"][0]["room"]["growing_bytes"], 3ull << 29);
  EXPECT_EQ(json["waiting"][0]["blocked_reason"],
            "needs ~1.0 GiB, room 512 MiB: available 2.0 − growing runs 1.5 (1/4 busy)");
  EXPECT_TRUE(json["waiting"][1]["blocked_on"].is_null());
  EXPECT_TRUE(json["waiting"][1]["room"].is_null());
}

}  // namespace
}  // namespace vq::admin
