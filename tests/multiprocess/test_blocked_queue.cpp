// Nothing one process does with its own output or its own stop may stall the queue for others
// (invariants 3 and 4): a waiter whose stderr is blocked, or a process stopped while it holds
// the table's update lock.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "process_harness.h"

namespace vq::mp {
namespace {

using BlockedQueueTest = ShimTest;

// A FIFO whose buffer is full and that nobody drains: any blocking write to it hangs.
class FullPipe {
 public:
  explicit FullPipe(const std::string& path) : m_path(path) {
    EXPECT_EQ(::mkfifo(path.c_str(), 0600), 0);
    m_fd = ::open(path.c_str(), O_RDWR | O_NONBLOCK);
    char byte = 'x';
    while (::write(m_fd, &byte, 1) == 1) {
    }
  }
  ~FullPipe() { ::close(m_fd); }
  const std::string& path() const { return m_path; }

 private:
  std::string m_path;
  int m_fd = -1;
};

TEST_F(BlockedQueueTest, WaiterWhoseStderrIsBlockedNeitherHangsNorStallsThoseBehind) {
  FullPipe pipe(tmp() + "/full.fifo");
  Process holder = start_holder("holder", {{"VQ_MAX_PROCESSES", "1"}, {"FAKE_SLEEP_MS", "500"}});
  Launch blocked_launch =
      shim_launch("blocked", {{"VQ_MAX_PROCESSES", "1"}, {"FAKE_SLEEP_MS", "50"}});
  blocked_launch.stderr_path = pipe.path();
  Process blocked(blocked_launch);
  sleep_for_ms(200);  // queued behind the holder, its waiting line unwritable
  Process behind = start_waiter("behind", {{"VQ_MAX_PROCESSES", "1"}, {"FAKE_SLEEP_MS", "50"}});

  ASSERT_TRUE(holder.wait());
  const auto blocked_status = blocked.wait(10s);
  ASSERT_TRUE(blocked_status) << "the waiter with a blocked stderr hung";
  EXPECT_EQ(describe_status(*blocked_status), exited(0));
  const auto behind_status = behind.wait(10s);
  ASSERT_TRUE(behind_status) << "the waiter behind a blocked one was stalled";
  EXPECT_EQ(describe_status(*behind_status), exited(0)) << behind.stderr_text();
  EXPECT_EQ(start_order(records()), (std::vector<std::string>{"holder", "blocked", "behind"}));
}

// A child that takes the table's update lock and stops itself, as a Ctrl-Z or a debugger could.
class StoppedInUpdate {
 public:
  explicit StoppedInUpdate(const std::string& lock_path) {
    m_pid = ::fork();
    if (m_pid == 0) {
      int fd = ::open(lock_path.c_str(), O_RDWR);
      struct flock lock {};
      lock.l_type = F_WRLCK;
      lock.l_whence = SEEK_SET;
      lock.l_start = 0;
      lock.l_len = 1;
      if (fd < 0 || ::fcntl(fd, F_SETLK, &lock) != 0) ::_exit(1);
      ::raise(SIGSTOP);
      ::_exit(0);
    }
    int status = 0;
    EXPECT_EQ(::waitpid(m_pid, &status, WUNTRACED), m_pid);
    EXPECT_TRUE(WIFSTOPPED(status)) << "the child could not take the update lock";
  }
  ~StoppedInUpdate() {
    ::kill(m_pid, SIGKILL);
    int status = 0;
    ::waitpid(m_pid, &status, 0);
  }
  pid_t pid() const { return m_pid; }

 private:
  pid_t m_pid = -1;
};

TEST_F(BlockedQueueTest, StuckUpdateLockKeepsWaitersWaitingWithinTheirTimeoutAndSignals) {
  {
    Process first(shim_launch("first", {{"FAKE_SLEEP_MS", "0"}}));  // creates the queue
    ASSERT_TRUE(first.wait());
  }
  StoppedInUpdate stuck(queue_dir() + "/slots.lock");

  const auto began = monotonic_ns();
  Process timed(shim_launch("timed", {{"VQ_QUEUE_TIMEOUT", "1"}}));
  const auto timed_status = timed.wait(15s);
  const auto timed_ms = (monotonic_ns() - began) / 1'000'000;
  ASSERT_TRUE(timed_status);
  EXPECT_EQ(describe_status(*timed_status), exited(75)) << timed.stderr_text();
  EXPECT_LT(timed_ms, 4000) << "the timeout overshot while the lock was stuck";
  EXPECT_NE(timed.stderr_text().find("pid " + std::to_string(stuck.pid())), std::string::npos)
      << timed.stderr_text();
  EXPECT_FALSE(has_started("timed")) << "it ran unqueued instead of waiting";

  Process interrupted(shim_launch("interrupted", {{"VQ_QUEUE_TIMEOUT", "0"}}));
  sleep_for_ms(600);
  const auto sent = monotonic_ns();
  interrupted.send(SIGINT);
  const auto interrupted_status = interrupted.wait(10s);
  ASSERT_TRUE(interrupted_status);
  EXPECT_EQ(describe_status(*interrupted_status), killed_by(SIGINT));
  EXPECT_LT((monotonic_ns() - sent) / 1'000'000, 2000) << "Ctrl-C was slow to end the wait";
  std::printf("[   INFO   ] stuck update lock: timeout after %lld ms, Ctrl-C after %lld ms\n",
              static_cast<long long>(timed_ms),
              static_cast<long long>((monotonic_ns() - sent) / 1'000'000));
}

}  // namespace
}  // namespace vq::mp
