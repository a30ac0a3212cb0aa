// Leaving the queue without being admitted: a timeout (exit 75) or SIGINT/SIGTERM (130/143),
// and in every case the queue is left so that nobody else waits for the one who left.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "process_harness.h"

namespace vq::mp {
namespace {

using TimeoutTest = ShimTest;

TEST_F(TimeoutTest, WaitingLongerThanTheTimeoutExits75AndNamesTheHolder) {
  Process holder = start_holder("holder", {{"VQ_MAX_PROCESSES", "1"}, {"FAKE_SLEEP_MS", "30000"}});
  const auto began = monotonic_ns();
  Process waiter(shim_launch("waiter", {{"VQ_MAX_PROCESSES", "1"}, {"VQ_QUEUE_TIMEOUT", "1"}}));
  const auto status = waiter.wait();
  const auto elapsed_ms = (monotonic_ns() - began) / 1'000'000;
  ASSERT_TRUE(status);

  EXPECT_EQ(describe_status(*status), exited(75)) << "stderr: " << waiter.stderr_text();
  EXPECT_NE(waiter.stderr_text().find("pid " + std::to_string(holder.pid())), std::string::npos)
      << "stderr does not name the holder: " << waiter.stderr_text();
  EXPECT_FALSE(has_started("waiter"));
  // A timeout must not fire early; the upper bound only catches a hang.
  EXPECT_GE(elapsed_ms, 950);
  EXPECT_LT(elapsed_ms, 10'000);
  std::printf("[   INFO   ] VQ_QUEUE_TIMEOUT=1 gave up after %lld ms\n",
              static_cast<long long>(elapsed_ms));
  EXPECT_NE(read_file(queue_dir() + "/vitest-queue.log").find(std::to_string(waiter.pid())),
            std::string::npos)
      << "the log does not mention the timed-out waiter";
}

TEST_F(TimeoutTest, ATimedOutWaiterDoesNotStallThoseBehindIt) {
  Process holder = start_holder("holder", {{"VQ_MAX_PROCESSES", "1"}, {"FAKE_SLEEP_MS", "30000"}});
  Process quitter =
      start_waiter("quitter", {{"VQ_MAX_PROCESSES", "1"}, {"VQ_QUEUE_TIMEOUT", "0.5"}});
  Process behind = start_waiter("behind", {{"VQ_MAX_PROCESSES", "1"}});

  const auto quit_status = quitter.wait();
  ASSERT_TRUE(quit_status);
  EXPECT_EQ(describe_status(*quit_status), exited(75)) << "stderr: " << quitter.stderr_text();
  EXPECT_FALSE(has_started("behind")) << "admitted while the holder still held the only slot";

  const auto released_at = monotonic_ns();
  holder.send(SIGTERM);
  ASSERT_TRUE(eventually([&] { return has_started("behind"); }, 10s))
      << "stderr: " << behind.stderr_text();
  EXPECT_LT(find_event(records(), RecordEvent::Kind::start, "behind")->ns - released_at,
            2'000'000'000);
  const auto status = behind.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(0));
}

// "gave up after N.Ns": a sub-second timeout reads as what it was, not as 0s.
double reported_wait_s(const std::string& stderr_text) {
  const std::string prefix = "vq: gave up after ";
  const auto at = stderr_text.find(prefix);
  if (at == std::string::npos) return -1;
  const auto end = stderr_text.find("s waiting", at);
  if (end == std::string::npos) return -1;
  return std::atof(stderr_text.substr(at + prefix.size(), end - at - prefix.size()).c_str());
}

TEST_F(TimeoutTest, ASubSecondTimeoutReportsTheSecondsItWaited) {
  Process holder = start_holder("holder", {{"VQ_MAX_PROCESSES", "1"}, {"FAKE_SLEEP_MS", "30000"}});
  Process waiter(shim_launch("waiter", {{"VQ_MAX_PROCESSES", "1"}, {"VQ_QUEUE_TIMEOUT", "0.3"}}));
  const auto status = waiter.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(75)) << "stderr: " << waiter.stderr_text();
  const double reported = reported_wait_s(waiter.stderr_text());
  EXPECT_GE(reported, 0.3) << waiter.stderr_text();
  EXPECT_LT(reported, 10) << waiter.stderr_text();
}

// Group mode keeps no log file (docs/SECURITY.md), so the timeout line must not send the user
// to one. The caller's own primary group: the test needs no other user.
TEST_F(TimeoutTest, InGroupModeTheTimeoutLineNamesNoLogFile) {
  const Env group{{"VQ_MAX_PROCESSES", "1"}, {"VQ_GROUP", std::to_string(::getgid())}};
  Env holder_env = group;
  holder_env["FAKE_SLEEP_MS"] = "30000";
  Process holder = start_holder("holder", holder_env);
  Env waiter_env = group;
  waiter_env["VQ_QUEUE_TIMEOUT"] = "0.3";
  Process waiter(shim_launch("waiter", waiter_env));
  const auto status = waiter.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(75)) << "stderr: " << waiter.stderr_text();
  EXPECT_NE(waiter.stderr_text().find("vq: gave up after"), std::string::npos)
      << waiter.stderr_text();
  EXPECT_FALSE(path_exists(queue_dir() + "/vitest-queue.log")) << "group mode wrote a log";
  EXPECT_EQ(waiter.stderr_text().find("log:"), std::string::npos) << waiter.stderr_text();
}

struct Interruption {
  const char* name;
  int signal_number;
};

class InterruptedWaitTest : public ShimTest, public ::testing::WithParamInterface<Interruption> {};

// The waiter dies by the very signal, as a plain program would: the shell shows 128 + N (130 for
// Ctrl-C, 143 for SIGTERM) and, seeing a child killed by SIGINT, stops its own loop too.
TEST_P(InterruptedWaitTest, DiesByTheSignalAndLeavesTheQueueClean) {
  Process holder = start_holder("holder", {{"VQ_MAX_PROCESSES", "1"}, {"FAKE_SLEEP_MS", "30000"}});
  Process waiter = start_waiter("waiter", {{"VQ_MAX_PROCESSES", "1"}});

  waiter.send(GetParam().signal_number);
  const auto status = waiter.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), killed_by(GetParam().signal_number))
      << "stderr: " << waiter.stderr_text();
  EXPECT_FALSE(has_started("waiter"));

  holder.send(SIGTERM);
  ASSERT_TRUE(holder.wait());
  // If the interrupted waiter had left an entry ahead of it, this launch would wait and time out.
  Process next(shim_launch("next", {{"VQ_MAX_PROCESSES", "1"}, {"VQ_QUEUE_TIMEOUT", "1"}}));
  const auto next_status = next.wait();
  ASSERT_TRUE(next_status);
  EXPECT_EQ(describe_status(*next_status), exited(0)) << "stderr: " << next.stderr_text();
  EXPECT_EQ(next.stderr_text(), "") << "the next launch had to wait in an empty queue";
}

INSTANTIATE_TEST_SUITE_P(Signals, InterruptedWaitTest,
                         ::testing::Values(Interruption{"Sigint", SIGINT},
                                           Interruption{"Sigterm", SIGTERM},
                                           Interruption{"Sighup", SIGHUP}),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace vq::mp
