#include "run_exit.h"

#include <poll.h>
#include <signal.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "process_identity.h"

namespace vq::watch {
namespace {

bool kernel_at_least(int major, int minor) {
  utsname name{};
  if (::uname(&name) != 0) return false;
  int got_major = 0, got_minor = 0;
  std::sscanf(name.release, "%d.%d", &got_major, &got_minor);
  return got_major > major || (got_major == major && got_minor >= minor);
}

TEST(RunExit, ZombieStatLineGivesItsWaitStatus) {
  // Field 52 of a zombie that exited 42 (wait status 42 << 8).
  std::string stat = "123 (vitest (x)) Z 1";
  for (int field = 5; field < 52; ++field) stat += " 0";
  stat += " 10752\n";
  auto status = zombie_exit_status(stat);
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 42);
  stat[stat.find(") Z") + 2] = 'S';
  EXPECT_FALSE(zombie_exit_status(stat)) << "a running process has no exit code yet";
}

std::optional<WaitStatus> status_of_child_that(void (*body)(), bool reap_first) {
  pid_t child = ::fork();
  if (child == 0) body();
  auto identity = identify(child);
  auto watch = identity ? ExitWatch::open(child, identity->start_time) : std::nullopt;
  if (!watch) return std::nullopt;
  pollfd ended{watch->pidfd(), POLLIN, 0};
  ::poll(&ended, 1, 5000);
  if (reap_first) ::waitpid(child, nullptr, 0);
  auto status = watch->collect();
  if (!reap_first) ::waitpid(child, nullptr, 0);
  return status;
}

TEST(RunExit, UnreapedExitIsReadOnEveryKernel) {
  auto status = status_of_child_that([] { _exit(42); }, false);
  ASSERT_TRUE(status);
  EXPECT_EQ(WEXITSTATUS(*status), 42);
  auto killed = status_of_child_that(
      [] {
        ::raise(SIGKILL);
        _exit(0);
      },
      false);
  ASSERT_TRUE(killed);
  EXPECT_TRUE(WIFSIGNALED(*killed));
  EXPECT_EQ(WTERMSIG(*killed), SIGKILL);
}

TEST(RunExit, ReapedExitComesFromThePidfdOnLinux615) {
  auto status = status_of_child_that([] { _exit(7); }, true);
  if (!kernel_at_least(6, 15)) {
    EXPECT_FALSE(status) << "no PIDFD_INFO_EXIT before 6.15: unknown, never a guess";
    return;
  }
  ASSERT_TRUE(status);
  EXPECT_EQ(WEXITSTATUS(*status), 7);
}

TEST(RunExit, ReusedPidIsNotWatched) {
  pid_t child = ::fork();
  if (child == 0) {
    ::pause();
    _exit(0);
  }
  auto identity = identify(child);
  ASSERT_TRUE(identity);
  EXPECT_FALSE(ExitWatch::open(child, identity->start_time + 1));
  EXPECT_TRUE(ExitWatch::open(child, identity->start_time));
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  EXPECT_FALSE(ExitWatch::open(child, identity->start_time)) << "gone";
}

}  // namespace
}  // namespace vq::watch
