// `vq-admin history` and `vq-admin metrics` through the real binary, on rows the tests append
// with the history store, and on a live queue of real shim holders and waiters.
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "admin_harness.h"
#include "history_store.h"

namespace vq::mp {
namespace {

using history::RunEnd;
using history::RunRecord;
using nlohmann::json;

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

RunRecord run_of(const std::string& project, const std::string& agent, std::int64_t ended_ms,
                 std::int64_t wait_ms, std::int64_t run_ms, std::int64_t peak_mib) {
  RunRecord run;
  run.queue_dir = "/tmp/vq-history-test";
  run.agent = agent;
  run.project = project;
  run.cwd = project;
  run.command = "vitest --run";
  run.ended_at_ms = ended_ms;
  run.admitted_at_ms = ended_ms - run_ms;
  run.queued_at_ms = ended_ms - run_ms - wait_ms;
  run.peak_memory_bytes = peak_mib << 20;
  run.cpu_time_ms = run_ms / 2;
  run.end = RunEnd::exited;
  return run;
}

class AdminHistoryTest : public AdminTest {
 protected:
  std::string db() const { return tmp() + "/history.sqlite"; }
  Env with_db() const { return {{"VQ_HISTORY", db()}}; }
  void append(const RunRecord& run) const {
    auto store = history::HistoryStore::open(db());
    ASSERT_TRUE(store.ok()) << store.error().message;
    auto appended = store->append(run);
    ASSERT_TRUE(appended.ok()) << appended.error().message;
  }
  json history_json(std::vector<std::string> args) const {
    args.insert(args.begin(), {"history", "--json"});
    AdminResult result = admin(args, with_db());
    EXPECT_EQ(result.status, 0) << result.err;
    return json::parse(result.out, nullptr, false);
  }
  // The Python client's parser and the lint in check_metrics.py; 77 when the parser is missing.
  AdminResult check_metrics(const std::string& file) const {
    Launch check;
    check.program = VQ_CHECK_METRICS;
    check.argv = {VQ_CHECK_METRICS};
    check.env = {{"PATH", "/usr/bin:/bin"}};
    check.stdin_path = file;
    check.stdout_path = tmp() + "/check.out";
    return run_admin(check);
  }
};

TEST_F(AdminHistoryTest, RunsComeNewestFirstWithPerProjectPercentiles) {
  std::int64_t now = now_ms();
  for (int i = 1; i <= 10; ++i) {
    append(run_of("/src/one", "agent-1", now - 100'000 + i * 1000, i * 1000, i * 2000, i * 100));
  }
  append(run_of("/src/two", "agent-2", now - 500, 300, 4000, 50));
  json history = history_json({});
  ASSERT_FALSE(history.is_discarded());
  EXPECT_EQ(history["schema"], 1);
  EXPECT_EQ(history["database"], db());
  ASSERT_EQ(history["runs"].size(), 11u);
  EXPECT_EQ(history["runs"][0]["project"], "/src/two");
  EXPECT_EQ(history["runs"][1]["wait_ms"], 10'000) << "then the newest of /src/one";
  EXPECT_EQ(history["runs"][0]["end_text"], "exited 0");
  ASSERT_EQ(history["projects"].size(), 2u);
  const json& one = history["projects"][1];
  EXPECT_EQ(one["project"], "/src/one");
  EXPECT_EQ(one["runs"], 10);
  EXPECT_EQ(one["wait_ms"]["p50"], 5000);  // nearest rank of 1..10 s
  EXPECT_EQ(one["wait_ms"]["p90"], 9000);
  EXPECT_EQ(one["run_ms"]["p50"], 10'000);
  EXPECT_EQ(one["peak_memory_bytes"]["p90"], 900LL << 20);
}

TEST_F(AdminHistoryTest, FiltersSelectByProjectAgentAgeAndLimit) {
  std::int64_t now = now_ms();
  append(run_of("/p1", "a", now - 3 * 3'600'000, 10, 10, 1));
  append(run_of("/p1", "b", now - 2000, 10, 10, 1));
  append(run_of("/p2", "a", now - 1000, 10, 10, 1));
  EXPECT_EQ(history_json({"--project", "/p1"})["runs"].size(), 2u);
  EXPECT_EQ(history_json({"--agent", "a"})["runs"].size(), 2u);
  EXPECT_EQ(history_json({"--since", "2h"})["runs"].size(), 2u);
  EXPECT_EQ(history_json({"--since", "4h"})["runs"].size(), 3u);
  json limited = history_json({"--limit", "1"});
  ASSERT_EQ(limited["runs"].size(), 1u);
  EXPECT_EQ(limited["runs"][0]["project"], "/p2");
  EXPECT_EQ(limited["projects"].size(), 2u) << "the figures cover every selected run";
}

TEST_F(AdminHistoryTest, TextMarksRssPeaksAndSaysHowRunsEnded) {
  RunRecord killed = run_of("/src/app", "agent-9", now_ms() - 1000, 1500, 65'000, 300);
  killed.end = RunEnd::signaled;
  killed.end_code = 9;
  killed.peak_is_rss = true;
  append(killed);
  AdminResult result = admin({"history"}, with_db());
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_NE(result.out.find("killed by signal 9"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("300.0 MiB RSS"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("1m05s"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("/src/app"), std::string::npos) << result.out;
}

// The estimate a launch of each project will use: P90 of the peaks + 15 % (four equal peaks of
// 400 MiB: 460 MiB), over all of the project's runs even where the filters select fewer; the
// cold default (1 GiB) for a project whose runs were never sampled.
TEST_F(AdminHistoryTest, EachProjectShowsTheMemoryEstimateItsNextRunUses) {
  std::int64_t now = now_ms();
  for (int i = 0; i < 3; ++i) append(run_of("/src/learned", "a", now - 3 * 3'600'000, 10, 10, 400));
  append(run_of("/src/learned", "a", now - 1000, 10, 10, 400));
  RunRecord unsampled = run_of("/src/unsampled", "a", now - 500, 10, 10, 0);
  unsampled.peak_memory_bytes.reset();
  append(unsampled);
  json history = history_json({"--since", "1h"});
  ASSERT_EQ(history["projects"].size(), 2u);
  const json& learned = history["projects"][1];
  EXPECT_EQ(learned["runs"], 1) << "the filter selects one of its runs";
  // 400 MiB × 1.15 in floating point: a byte below 460 MiB.
  EXPECT_NEAR(learned["memory_estimate"]["bytes"].get<double>(), 460.0 * (1 << 20), 16)
      << learned.dump();
  EXPECT_EQ(learned["memory_estimate"]["samples"], 4);
  EXPECT_EQ(learned["memory_estimate"]["source"], "learned");
  const json& cold = history["projects"][0];
  EXPECT_EQ(cold["memory_estimate"]["bytes"], 1LL << 30) << cold.dump();
  EXPECT_EQ(cold["memory_estimate"]["samples"], 0);
  EXPECT_EQ(cold["memory_estimate"]["source"], "cold_default");
  AdminResult text = admin({"history"}, with_db());
  ASSERT_EQ(text.status, 0) << text.err;
  EXPECT_NE(text.out.find("ESTIMATE"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("460.0 MiB (4 runs)"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("1.0 GiB (cold default)"), std::string::npos) << text.out;
}

TEST_F(AdminHistoryTest, ASinceThatIsNoDurationIsAUsageErrorNamingTheForms) {
  for (const char* bad : {"3x", "2", "-5m", "h"}) {
    AdminResult result = admin({"history", "--since", bad}, with_db());
    EXPECT_EQ(result.status, 2) << bad;
    EXPECT_NE(result.err.find("is not a duration"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("30m"), std::string::npos) << result.err;
  }
}

TEST_F(AdminHistoryTest, ACorruptDatabaseIsMovedAsideWithOneWarning) {
  write_file(db(), std::string(8192, 'x'), 0600);
  AdminResult first = admin({"history"}, with_db());
  EXPECT_EQ(first.status, 0) << first.err;
  EXPECT_NE(first.err.find("vq-admin: warning: the history database was unreadable"),
            std::string::npos)
      << first.err;
  EXPECT_NE(first.err.find(db() + ".corrupt-"), std::string::npos) << first.err;
  AdminResult second = admin({"history"}, with_db());
  EXPECT_EQ(second.status, 0);
  EXPECT_EQ(second.err, "") << "the warning is given once";
}

TEST_F(AdminHistoryTest, ADatabaseFoundTruncatedOnOpenIsMovedAsideWithOneWarning) {
  {
    auto store = history::HistoryStore::open(db());
    ASSERT_TRUE(store.ok()) << store.error().message;
    for (int i = 0; i < 300; ++i) {
      ASSERT_TRUE(
          store->append(run_of("/p", "agent-" + std::to_string(i), now_ms(), 1, 1, 1)).ok());
    }
  }  // the last connection checkpoints the WAL into the file
  std::filesystem::resize_file(db(), std::filesystem::file_size(db()) / 2);
  AdminResult first = admin({"history"}, with_db());
  EXPECT_EQ(first.status, 0) << first.err;
  EXPECT_NE(first.err.find("vq-admin: warning: the history database was unreadable"),
            std::string::npos)
      << first.err;
  AdminResult second = admin({"history"}, with_db());
  EXPECT_EQ(second.status, 0);
  EXPECT_EQ(second.err, "") << "the warning is given once";
}

// Pages of rows overwritten: the file opens (its schema is intact) and the damage shows only
// when the runs are read.
TEST_F(AdminHistoryTest, DamageFoundOnlyByTheQueryIsMovedAsideWithOneWarning) {
  {
    auto store = history::HistoryStore::open(db());
    ASSERT_TRUE(store.ok()) << store.error().message;
    for (int i = 0; i < 300; ++i) {
      ASSERT_TRUE(
          store->append(run_of("/p", "agent-" + std::to_string(i), now_ms(), 1, 1, 1)).ok());
    }
  }
  auto size = std::filesystem::file_size(db());
  {
    std::fstream file(db(), std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(size / 2));
    file << std::string(size - size / 2, 'x');
  }
  AdminResult first = admin({"history"}, with_db());
  EXPECT_EQ(first.status, 0) << first.err;
  EXPECT_NE(first.err.find("vq-admin: warning: the history database was unreadable"),
            std::string::npos)
      << first.err;
  EXPECT_EQ(admin({"history"}, with_db()).err, "") << "the warning is given once";
}

TEST_F(AdminHistoryTest, WithoutVqHistoryTheStateDirectoryIsUsedAndNothingIsCreatedByReading) {
  std::string state = tmp() + "/state";
  AdminResult result = admin({"history"}, {{"XDG_STATE_HOME", state}});
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_NE(result.out.find(state + "/vq/history.sqlite"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("No runs recorded"), std::string::npos) << result.out;
  EXPECT_FALSE(path_exists(state + "/vq/history.sqlite"));
}

TEST_F(AdminHistoryTest, MetricsParseAndCountRunsByHowTheyEndedWithLiveQueueFigures) {
  RunRecord timed_out = run_of("/p", "a", now_ms() - 1000, 10, 10, 1);
  timed_out.admitted_at_ms.reset();
  timed_out.peak_memory_bytes.reset();
  timed_out.end = RunEnd::wait_timed_out;
  append(timed_out);
  append(run_of("/p", "a", now_ms() - 900, 2000, 5000, 700));
  Process holder = start_holder("holder", {{"VQ_MAX_PROCESSES", "1"}, {"FAKE_SLEEP_MS", "30000"}});
  Process waiter = start_waiter("waiter");
  AdminResult result = admin({"metrics", "--textfile", tmp()}, with_db());
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_EQ(result.out, "") << "--textfile writes the file instead";
  std::string text = read_file(tmp() + "/vq.prom");
  EXPECT_NE(text.find("vq_runs_total{end=\"wait_timed_out\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("vq_runs_total{end=\"exited\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("vq_run_wait_seconds_bucket{le=\"5\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("vq_run_wait_seconds_count 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("vq_run_peak_memory_bytes_bucket{le=\"1073741824\"} 1\n"), std::string::npos);
  std::string queue = "{queue_dir=\"" + queue_dir() + "\"}";
  EXPECT_NE(text.find("vq_slots_in_use" + queue + " 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("vq_slots_limit" + queue + " 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("vq_waiting_runs" + queue + " 1\n"), std::string::npos) << text;
  for (const auto& entry : std::filesystem::directory_iterator(tmp())) {
    EXPECT_FALSE(entry.path().filename().string().ends_with(".tmp")) << entry.path();
  }
  AdminResult check = check_metrics(tmp() + "/vq.prom");
  if (check.status == 77)
    GTEST_SKIP() << "python3-prometheus-client is missing (tests/run installs it)";
  EXPECT_EQ(check.status, 0) << read_file(tmp() + "/check.out") << check.err;
}

TEST_F(AdminHistoryTest, MetricsWithoutAnyRecordedRunShowZeroCountersAndStillParse) {
  AdminResult result = admin({"metrics"}, with_db());
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_NE(result.out.find("vq_runs_total{end=\"exited\"} 0\n"), std::string::npos) << result.out;
  write_file(tmp() + "/metrics.txt", result.out);
  AdminResult check = check_metrics(tmp() + "/metrics.txt");
  if (check.status == 77)
    GTEST_SKIP() << "python3-prometheus-client is missing (tests/run installs it)";
  EXPECT_EQ(check.status, 0) << read_file(tmp() + "/check.out");
}

}  // namespace
}  // namespace vq::mp
