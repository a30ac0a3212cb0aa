// `vq-admin status`, text and JSON, against live holders and waiters.
#include <unistd.h>

#include <string>

#include "admin_harness.h"

namespace vq::mp {
namespace {

using nlohmann::json;
using AdminStatusTest = AdminTest;

// Every field the README promises, with its type: a renamed or retyped field fails here.
void expect_schema(const json& status) {
  ASSERT_TRUE(status.is_object());
  EXPECT_EQ(status.at("schema_version"), 2);
  EXPECT_TRUE(status.at("queue_dir").is_string());
  EXPECT_TRUE(status.at("log_file").is_string());
  EXPECT_TRUE(status.at("table").is_string());
  EXPECT_TRUE(status.at("limit").is_number_integer() || status.at("limit").is_null());
  EXPECT_TRUE(status.at("paused").is_boolean());
  EXPECT_TRUE(status.at("busy").is_number_integer());
  EXPECT_TRUE(status.at("registered").is_number_integer());
  EXPECT_TRUE(status.at("unrecorded_waiters").is_number_integer());
  for (const json& run : status.at("active")) {
    EXPECT_TRUE(run.at("pid").is_number_integer());
    EXPECT_TRUE(run.at("slot").is_number_integer());
    EXPECT_TRUE(run.at("has_record").is_boolean());
    EXPECT_TRUE(run.at("agent").is_string() || run.at("agent").is_null());
    EXPECT_TRUE(run.at("started").is_string() || run.at("started").is_null());
    EXPECT_TRUE(run.at("started_ms").is_number_integer() || run.at("started_ms").is_null());
    EXPECT_TRUE(run.at("runtime_s").is_number() || run.at("runtime_s").is_null());
    EXPECT_TRUE(run.at("rss_bytes").is_number_integer() || run.at("rss_bytes").is_null());
    EXPECT_TRUE(run.at("cpu_percent").is_number() || run.at("cpu_percent").is_null());
    EXPECT_TRUE(run.at("cpu_average_percent").is_number() ||
                run.at("cpu_average_percent").is_null());
    EXPECT_TRUE(run.at("cpu_time_s").is_number() || run.at("cpu_time_s").is_null());
    EXPECT_TRUE(run.at("processes").is_number_integer() || run.at("processes").is_null());
    EXPECT_TRUE(run.at("cwd").is_string() || run.at("cwd").is_null());
    EXPECT_TRUE(run.at("command").is_string() || run.at("command").is_null());
  }
  for (const json& run : status.at("waiting")) {
    EXPECT_TRUE(run.at("pid").is_number_integer());
    EXPECT_TRUE(run.at("agent").is_string());
    EXPECT_TRUE(run.at("position").is_number_integer());
    EXPECT_TRUE(run.at("waiting_s").is_number());
    EXPECT_TRUE(run.at("since").is_string());
    EXPECT_TRUE(run.at("stopped").is_boolean());
  }
  for (const json& record : status.at("ended")) {
    EXPECT_TRUE(record.at("kind") == "holder" || record.at("kind") == "waiter");
    EXPECT_TRUE(record.at("index").is_number_integer());
    EXPECT_TRUE(record.at("pid").is_number_integer());
    EXPECT_TRUE(record.at("agent").is_string() || record.at("agent").is_null());
  }
  for (const json& record : status.at("stale")) {
    EXPECT_TRUE(record.at("kind") == "holder" || record.at("kind") == "waiter");
    EXPECT_TRUE(record.at("index").is_number_integer());
    EXPECT_TRUE(record.at("pid").is_number_integer());
    EXPECT_TRUE(record.at("reason").is_string());
  }
}

// The line of `text` that contains `needle`, without its newline; empty when none does.
std::string line_with(const std::string& text, const std::string& needle) {
  const auto at = text.find(needle);
  if (at == std::string::npos) return "";
  const auto start = text.rfind('\n', at) == std::string::npos ? 0 : text.rfind('\n', at) + 1;
  return text.substr(start, text.find('\n', at) - start);
}

TEST_F(AdminStatusTest, JsonMatchesLiveHoldersAndWaitersInArrivalOrder) {
  // The holder forks a child that lives on: its tree is two processes.
  Process holder = start_holder("holder", {{"VQ_MAX_PROCESSES", "1"},
                                           {"VQ_AGENT_ID", "agent-1"},
                                           {"FAKE_SLEEP_MS", "30000"},
                                           {"FAKE_ORPHAN_MS", "30000"}});
  Process first = start_waiter("first", {{"VQ_AGENT_ID", "agent-5"}});
  Process second = start_waiter("second", {{"VQ_AGENT_ID", "agent-6"}});

  const json status = status_json();
  expect_schema(status);
  EXPECT_EQ(status["queue_dir"], queue_dir());
  EXPECT_EQ(status["log_file"], queue_dir() + "/vitest-queue.log");
  EXPECT_EQ(status["table"], "valid");
  EXPECT_EQ(status["limit"], 1);
  EXPECT_EQ(status["paused"], false);
  EXPECT_EQ(status["busy"], 1);
  ASSERT_EQ(status["active"].size(), 1u) << status.dump(2);
  const json& run = status["active"][0];
  EXPECT_EQ(run["pid"], holder.pid());
  EXPECT_EQ(run["agent"], "agent-1");
  EXPECT_EQ(run["cwd"].get<std::string>().empty(), false);
  EXPECT_NE(run["command"].get<std::string>().find("vitest"), std::string::npos);
  EXPECT_GE(run["runtime_s"].get<double>(), 0.0);
  EXPECT_EQ(run["processes"], 2) << "the holder's forked child belongs to its tree";
  EXPECT_GT(run["rss_bytes"].get<long long>(), 0);
  ASSERT_EQ(status["waiting"].size(), 2u) << status.dump(2);
  EXPECT_EQ(status["waiting"][0]["pid"], first.pid());
  EXPECT_EQ(status["waiting"][0]["agent"], "agent-5");
  EXPECT_EQ(status["waiting"][0]["position"], 1);
  EXPECT_EQ(status["waiting"][1]["pid"], second.pid());
  EXPECT_EQ(status["waiting"][1]["position"], 2);
  EXPECT_TRUE(status["stale"].empty()) << status.dump(2);
}

// Each holder's granted workers (VQ_WORKERS), from its own environment: 1 by default, N.
TEST_F(AdminStatusTest, EachHolderShowsTheWorkersItWasGranted) {
  Process three = start_holder("three", {{"VQ_WORKERS", "3"}, {"FAKE_SLEEP_MS", "30000"}});
  Process one = start_holder("one", {{"FAKE_SLEEP_MS", "30000"}});
  const json status = status_json();
  ASSERT_EQ(status["active"].size(), 2u) << status.dump();
  for (const json& run : status["active"]) {
    EXPECT_EQ(run["workers"], run["pid"] == three.pid() ? 3 : 1) << run.dump();
  }
  AdminResult text = admin({"status"});
  EXPECT_NE(text.out.find("Workers: 3"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("Workers: 1"), std::string::npos) << text.out;
}

TEST_F(AdminStatusTest, CpuIsTheRunsAverageWithoutWaitingAndSampledOnlyWhenAsked) {
  Process holder = start_holder(
      "holder",
      {{"VQ_MAX_PROCESSES", "1"}, {"VQ_AGENT_ID", "agent-1"}, {"FAKE_SLEEP_MS", "30000"}});
  ::usleep(100'000);
  json status = status_json();
  ASSERT_EQ(status["active"].size(), 1u) << status.dump(2);
  EXPECT_TRUE(status["active"][0]["cpu_percent"].is_null()) << "no sample taken";
  EXPECT_TRUE(status["active"][0]["cpu_average_percent"].is_number()) << status.dump(2);
  EXPECT_GE(status["active"][0]["cpu_time_s"].get<double>(), 0.0);

  const AdminResult sampled = admin({"status", "--json", "--sample", "100"});
  ASSERT_EQ(sampled.status, 0) << sampled.err;
  status = json::parse(sampled.out);
  ASSERT_EQ(status["active"].size(), 1u) << status.dump(2);
  EXPECT_TRUE(status["active"][0]["cpu_percent"].is_number()) << status.dump(2);

  EXPECT_EQ(admin({"status", "--watch", "--sample", "100"}).status, 2)
      << "--sample is not for --watch";
}

TEST_F(AdminStatusTest, TextShowsTheSeedLayoutWithLimitPauseAndEachProcess) {
  Process holder = start_holder(
      "holder",
      {{"VQ_MAX_PROCESSES", "1"}, {"VQ_AGENT_ID", "agent-1"}, {"FAKE_SLEEP_MS", "30000"}});
  Process waiter = start_waiter("waiter", {{"VQ_AGENT_ID", "agent-5"}});

  const AdminResult result = admin({"status"});
  ASSERT_EQ(result.status, 0) << result.err;
  const std::string& text = result.out;
  EXPECT_EQ(text.rfind("=== Vitest Global Queue Status ===\n", 0), 0u) << text;
  EXPECT_NE(text.find("Current vitest processes: 1/1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Registered processes: 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Waiting: 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Limit: 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Paused: no\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  PID " + std::to_string(holder.pid()) + " (Agent: agent-1, Started: "),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(", RSS: "), std::string::npos) << text;
  EXPECT_NE(text.find(", CPU: "), std::string::npos) << text;
  EXPECT_NE(text.find("  #1 PID " + std::to_string(waiter.pid()) + " (Agent: agent-5, Waiting: "),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Queue directory: " + queue_dir() + "\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Log file: " + queue_dir() + "/vitest-queue.log\n"), std::string::npos);
  // Not a terminal: no colour.
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
}

// A killed holder's record looks like an ended run's (nobody is left to clear either): ended,
// not active and not stale.
TEST_F(AdminStatusTest, DeadHolderRecordIsShownAsEndedNotActive) {
  Process keeper = start_holder("keeper", {{"VQ_MAX_PROCESSES", "2"}, {"FAKE_SLEEP_MS", "30000"}});
  Process doomed = start_holder("doomed", {{"FAKE_SLEEP_MS", "30000"}});
  // No waiter exists, so no vq process passes by to clear the record.
  doomed.send(SIGKILL);
  ASSERT_TRUE(doomed.wait());

  const json status = status_json();
  expect_schema(status);
  ASSERT_EQ(status["active"].size(), 1u) << status.dump(2);
  EXPECT_EQ(status["active"][0]["pid"], keeper.pid());
  EXPECT_TRUE(status["stale"].empty()) << status.dump(2);
  ASSERT_EQ(status["ended"].size(), 1u) << status.dump(2);
  EXPECT_EQ(status["ended"][0]["kind"], "holder");
  EXPECT_EQ(status["ended"][0]["pid"], doomed.pid());

  const AdminResult text = admin({"status"});
  const std::string doomed_line = line_with(text.out, "PID " + std::to_string(doomed.pid()));
  EXPECT_TRUE(doomed_line.ends_with(" ended")) << text.out;
  EXPECT_NE(text.out.find("Ended (nothing to repair"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("Current vitest processes: 1/2"), std::string::npos) << text.out;
}

// After runs end normally and nobody launches again, status shows them as ended, not as
// records that need repair.
TEST_F(AdminStatusTest, RunsThatEndedNormallyAreEndedNotStale) {
  Process run(shim_launch("done", {{"VQ_AGENT_ID", "agent-7"}, {"FAKE_SLEEP_MS", "10"}}));
  const auto run_status = run.wait();
  ASSERT_TRUE(run_status);
  ASSERT_EQ(describe_status(*run_status), exited(0)) << run.stderr_text();

  const AdminResult text = admin({"status"});
  EXPECT_EQ(text.status, 0) << text.err;
  EXPECT_EQ(text.out.find("Stale records"), std::string::npos) << text.out;
  EXPECT_EQ(text.out.find("[stale"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("Ended (nothing to repair"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("PID " + std::to_string(run.pid()) + " (Agent: agent-7) ended"),
            std::string::npos)
      << text.out;

  const json status = status_json();
  expect_schema(status);
  EXPECT_TRUE(status["stale"].empty()) << status.dump(2);
  ASSERT_EQ(status["ended"].size(), 1u) << status.dump(2);
  EXPECT_EQ(status["ended"][0]["pid"], run.pid()) << "the shim became vitest: same pid";
  EXPECT_EQ(status["ended"][0]["agent"], "agent-7");
}

// A table cut to nothing under a live holder reads as blank, like a queue never used; status
// must say it was emptied under live runs instead.
TEST_F(AdminStatusTest, TableEmptiedUnderALiveHolderIsNotCalledUnused) {
  Process holder = start_holder("holder", {{"FAKE_SLEEP_MS", "30000"}});
  ASSERT_EQ(::truncate((queue_dir() + "/slots.table").c_str(), 0), 0);

  const AdminResult text = admin({"status"});
  EXPECT_EQ(text.status, 0) << text.err;
  EXPECT_EQ(text.out.find("no vitest has used this queue yet"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("Table: blank — emptied while runs are live (1 holding a slot, 0 "
                          "waiting)"),
            std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("vq-admin reset --force"), std::string::npos) << text.out;
}

TEST_F(AdminStatusTest, EmptyQueueReportsNothingActiveAndExitsZero) {
  const json status = status_json();
  expect_schema(status);
  EXPECT_TRUE(status["active"].empty());
  EXPECT_TRUE(status["waiting"].empty());
}

}  // namespace
}  // namespace vq::mp
