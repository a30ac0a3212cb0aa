// The shim's side of a cluster wait (VQ_CLUSTER set): the run's watcher reports on a pipe and
// the shim shows the wait, execs vitest with the fence token on `admitted`, runs local-only
// after one warning on `unreachable` (refuses with 69 under VQ_FAIL_CLOSED=1), and ends the wait
// on VQ_QUEUE_TIMEOUT or a signal as a local wait does. The watcher here is a script that
// writes the reports FAKE_REPORTS lists (";"-separated, "sleep S" pauses), so every answer the
// real one can give is driven from the test; tests/cluster drives the real one against Redis.
#include <signal.h>
#include <sys/stat.h>

#include <string>

#include "process_harness.h"

namespace vq::mp {
namespace {

class ClusterShimTest : public ShimTest {
 protected:
  ClusterShimTest() {
    write_file(watcher_path(),
               "#!/bin/sh\n"
               "echo \"$*\" >> \"$FAKE_WATCHER_ARGS\"\n"
               "[ \"$1\" = watch ] || exit 0\n"
               "IFS=';'\n"
               "for report in $FAKE_REPORTS; do\n"
               "  case $report in\n"
               "    'sleep '*) sleep \"${report#sleep }\" ;;\n"
               "    *) printf '%s\\n' \"$report\" >&4 || exit 1 ;;\n"
               "  esac\n"
               "done\n",
               0755);
  }
  std::string watcher_path() const { return tmp() + "/fake-watcher"; }
  std::string watcher_args() const { return read_file(tmp() + "/watcher-args"); }
  std::string queue_log() const { return read_file(queue_dir() + "/vitest-queue.log"); }

  Env cluster_env(const std::string& reports, const Env& more = {}) const {
    Env env{{"VQ_CLUSTER", "redis://127.0.0.1:1/0"},
            {"VQ_WATCHER", watcher_path()},
            {"FAKE_WATCHER_ARGS", tmp() + "/watcher-args"},
            {"FAKE_REPORTS", reports},
            {"FAKE_ECHO_ENV", "VQ_CLUSTER_FENCE"}};
    for (const auto& [name, value] : more) env[name] = value;
    return env;
  }
};

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
  return count;
}

TEST_F(ClusterShimTest, ShowsTheClusterWaitAndExecsVitestWithTheFenceOnAdmitted) {
  Process run(shim_launch("run", cluster_env("queued 7 2;sleep 0.4;queued 7 1;admitted 42")));
  const auto status = run.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(0)) << run.stderr_text();
  EXPECT_TRUE(has_started("run"));
  EXPECT_NE(run.stderr_text().find("vq: waiting for the cluster queue \"default\": 2 ahead"),
            std::string::npos)
      << run.stderr_text();
  EXPECT_NE(run.stdout_text().find("env VQ_CLUSTER_FENCE=42"), std::string::npos)
      << run.stdout_text();
  // One watcher, started before exec with the report pipe; it keeps the lease, none comes after.
  EXPECT_EQ(count_of(watcher_args(), "watch "), 1u) << watcher_args();
  EXPECT_NE(watcher_args().find("report_fd=4"), std::string::npos) << watcher_args();
}

TEST_F(ClusterShimTest, TheQueueNameFromVqClusterQueueIsOnTheWaitLine) {
  Process run(
      shim_launch("run", cluster_env("queued 3 1;admitted 9", {{"VQ_CLUSTER_QUEUE", "ci-db"}})));
  ASSERT_TRUE(run.wait());
  EXPECT_NE(run.stderr_text().find("waiting for the cluster queue \"ci-db\": 1 ahead"),
            std::string::npos)
      << run.stderr_text();
}

TEST_F(ClusterShimTest, UnreachableWarnsOnceAndRunsWithTheLocalLimitOnly) {
  Process run(shim_launch("run", cluster_env("unreachable connection refused by 127.0.0.1:1")));
  const auto status = run.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(0)) << run.stderr_text();
  EXPECT_TRUE(has_started("run"));
  EXPECT_EQ(count_of(run.stderr_text(), "vq: warning:"), 1u) << run.stderr_text();
  EXPECT_NE(run.stderr_text().find("unreachable: connection refused by 127.0.0.1:1"),
            std::string::npos)
      << run.stderr_text();
  EXPECT_NE(run.stdout_text().find("env VQ_CLUSTER_FENCE unset"), std::string::npos)
      << run.stdout_text();
  EXPECT_EQ(count_of(queue_log(), "event=cluster-unreachable"), 1u) << queue_log();
  EXPECT_NE(queue_log().find("connection refused by 127.0.0.1:1; running with this machine's "
                             "limit only"),
            std::string::npos)
      << queue_log();
}

TEST_F(ClusterShimTest, UnreachableUnderFailClosedRefusesWith69) {
  Process run(
      shim_launch("run", cluster_env("unreachable connection refused", {{"VQ_FAIL_CLOSED", "1"}})));
  const auto status = run.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(69)) << run.stderr_text();
  EXPECT_FALSE(has_started("run"));
  EXPECT_NE(run.stderr_text().find("vq: error: the cluster queue (VQ_CLUSTER) is unreachable"),
            std::string::npos)
      << run.stderr_text();
  EXPECT_NE(queue_log().find("event=cluster-unreachable"), std::string::npos) << queue_log();
  EXPECT_NE(queue_log().find("refused (VQ_FAIL_CLOSED=1)"), std::string::npos) << queue_log();
}

TEST_F(ClusterShimTest, AWatcherThatCannotStartCountsAsUnreachable) {
  Process run(shim_launch("run", cluster_env("", {{"VQ_WATCHER", tmp() + "/missing"}})));
  const auto status = run.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(0)) << run.stderr_text();
  EXPECT_TRUE(has_started("run"));
  EXPECT_EQ(count_of(run.stderr_text(), "vq: warning:"), 1u) << run.stderr_text();
  EXPECT_NE(run.stderr_text().find("could not be started"), std::string::npos) << run.stderr_text();
}

TEST_F(ClusterShimTest, AWatcherThatEndsWithoutAnAnswerCountsAsUnreachable) {
  Process run(shim_launch("run", cluster_env("sleep 0.1", {{"VQ_FAIL_CLOSED", "1"}})));
  const auto status = run.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(69)) << run.stderr_text();
  EXPECT_NE(run.stderr_text().find("vq-watch ended before the cluster queue answered"),
            std::string::npos)
      << run.stderr_text();
}

TEST_F(ClusterShimTest, TheQueueTimeoutEndsAClusterWaitWith75) {
  const auto began = monotonic_ns();
  Process run(shim_launch("run", cluster_env("queued 5 3;sleep 20", {{"VQ_QUEUE_TIMEOUT", "1"}})));
  const auto status = run.wait();
  const auto elapsed_ms = (monotonic_ns() - began) / 1'000'000;
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(75)) << run.stderr_text();
  EXPECT_FALSE(has_started("run"));
  EXPECT_NE(run.stderr_text().find("gave up after"), std::string::npos) << run.stderr_text();
  EXPECT_NE(run.stderr_text().find("cluster queue \"default\": 3 ahead"), std::string::npos)
      << run.stderr_text();
  EXPECT_GE(elapsed_ms, 950);
  EXPECT_LT(elapsed_ms, 10'000);
}

TEST_F(ClusterShimTest, ASignalEndsAClusterWaitAsItEndsALocalOne) {
  Process run(shim_launch("run", cluster_env("queued 5 3;sleep 20")));
  ASSERT_TRUE(eventually([&] {
    return run.stderr_text().find("waiting for the cluster queue") != std::string::npos;
  })) << run.stderr_text();
  run.send(SIGTERM);
  const auto status = run.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), killed_by(SIGTERM)) << run.stderr_text();
  EXPECT_FALSE(has_started("run"));
}

// A watcher that never writes a word (stalled, or stuck in a connect): the shim has nothing to
// show yet, and still its timeout and signals end the wait.
TEST_F(ClusterShimTest, AWatcherThatNeverAnswersStillEndsAtTheTimeout) {
  const auto began = monotonic_ns();
  Process run(shim_launch("run", cluster_env("sleep 20", {{"VQ_QUEUE_TIMEOUT", "1"}})));
  const auto status = run.wait();
  const auto elapsed_ms = (monotonic_ns() - began) / 1'000'000;
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(75)) << run.stderr_text();
  EXPECT_FALSE(has_started("run"));
  EXPECT_NE(run.stderr_text().find("gave up after"), std::string::npos) << run.stderr_text();
  EXPECT_GE(elapsed_ms, 950);
  EXPECT_LT(elapsed_ms, 10'000);
}

TEST_F(ClusterShimTest, ASignalEndsTheWaitForAWatcherThatNeverAnswers) {
  Process run(shim_launch("run", cluster_env("sleep 20")));
  ASSERT_TRUE(eventually([&] { return !watcher_args().empty(); })) << run.stderr_text();
  run.send(SIGTERM);
  const auto status = run.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), killed_by(SIGTERM)) << run.stderr_text();
  EXPECT_FALSE(has_started("run"));
}

TEST_F(ClusterShimTest, WithoutVqClusterNoWatcherGetsAReportPipe) {
  Env env = cluster_env("admitted 1");
  env["VQ_CLUSTER"] = "";
  Process run(shim_launch("run", env));
  ASSERT_TRUE(run.wait());
  EXPECT_TRUE(has_started("run"));
  ASSERT_TRUE(eventually([&] { return !watcher_args().empty(); }, 5s));
  EXPECT_EQ(watcher_args().find("report_fd"), std::string::npos) << watcher_args();
  EXPECT_NE(run.stdout_text().find("env VQ_CLUSTER_FENCE unset"), std::string::npos);
}

}  // namespace
}  // namespace vq::mp
