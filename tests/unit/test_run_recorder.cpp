#include "run_recorder.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "env_map.h"
#include "estimate_cache.h"
#include "history_rows.h"
#include "queue_dir.h"
#include "temp_dir.h"

namespace vq::history {
namespace {

std::string log_of(const std::string& queue_dir) {
  std::ifstream in(queue_dir + "/vitest-queue.log");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Recorder {
  test::TempDir tmp;
  Config config;
  RunRecord run = test::sample_run(1'000'000, "agent-4");
  explicit Recorder(const std::string& history) {
    auto loaded = load_config(test::lookup_in({{"VQ_HISTORY", tmp / history}}));
    config = *loaded;
    run.queue_dir = tmp / "queue";
  }
};

TEST(RunRecorder, ARecordedRunLeavesNoLogLine) {
  Recorder r("history.sqlite");
  ASSERT_TRUE(record_run(r.config, r.run).ok());
  EXPECT_EQ(test::sql_integer(r.tmp / "history.sqlite", "SELECT count(*) FROM runs"), 1);
  EXPECT_EQ(log_of(r.tmp / "queue").find("history"), std::string::npos) << log_of(r.tmp / "queue");
}

// The shim reads a project's learned estimate from the queue's estimates file, so recording a
// sampled run must update it.
TEST(RunRecorder, ASampledRunTeachesItsProjectsEstimateToTheQueue) {
  Recorder r("history.sqlite");
  ASSERT_TRUE(QueueDir::open(r.run.queue_dir).ok());
  r.run.project = "/work/app";
  r.run.peak_memory_bytes = std::int64_t{600} << 20;
  ASSERT_FALSE(cached_estimate(r.run.queue_dir, "/work/app"));
  ASSERT_TRUE(record_run(r.config, r.run).ok());
  auto learned = cached_estimate(r.run.queue_dir, "/work/app");
  ASSERT_TRUE(learned);
  EXPECT_EQ(learned->samples, 1);
  EXPECT_GE(learned->bytes, std::uint64_t{600} << 20);
}

TEST(RunRecorder, ARunThatCannotBeRecordedIsOneWarningInTheQueuesLog) {
  Recorder r("missing-dir/history.sqlite");  // its directory does not exist
  EXPECT_FALSE(record_run(r.config, r.run).ok());
  std::string log = log_of(r.tmp / "queue");
  EXPECT_NE(log.find(" warning pid="), std::string::npos) << log;
  EXPECT_NE(log.find("agent=agent-4 event=history-failed the run's record is lost: "),
            std::string::npos)
      << log;
  EXPECT_NE(log.find(r.tmp / "missing-dir/history.sqlite"), std::string::npos) << log;
}

TEST(RunRecorder, AnUnreadableHistoryMovedAsideIsOneWarningAndTheRunIsStillRecorded) {
  Recorder r("history.sqlite");
  std::ofstream(r.tmp / "history.sqlite") << std::string(8192, 'x');
  ASSERT_TRUE(record_run(r.config, r.run).ok());
  EXPECT_EQ(test::sql_integer(r.tmp / "history.sqlite", "SELECT count(*) FROM runs"), 1);
  std::string log = log_of(r.tmp / "queue");
  EXPECT_NE(log.find("event=history-rebuilt the history database was unreadable"),
            std::string::npos)
      << log;
  ASSERT_TRUE(record_run(r.config, r.run).ok());
  std::string again = log_of(r.tmp / "queue");
  EXPECT_EQ(again.find("history-rebuilt", again.find("history-rebuilt") + 1), std::string::npos)
      << "one warning, not one per run";
}

}  // namespace
}  // namespace vq::history
