#include "process_tree_usage.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include <gtest/gtest.h>

namespace vq::admin {
namespace {

TEST(ProcessTreeUsage, CountsChildrenAndGrandchildrenOfTheRoot) {
  pid_t child = ::fork();
  if (child == 0) {
    ::setpgid(0, 0);  // so the test can end child and grandchild together
    if (::fork() == 0) {
      ::pause();
      ::_exit(0);
    }
    ::pause();
    ::_exit(0);
  }
  ASSERT_GT(child, 0);
  std::optional<TreeUsage> usage;
  for (int attempt = 0; attempt < 2500; ++attempt) {
    usage = ProcessSnapshot::take().tree_usage(child);
    if (usage && usage->processes == 2) break;
    ::usleep(2000);
  }
  auto mine = ProcessSnapshot::take().tree_usage(::getpid());
  ::kill(-child, SIGKILL);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ASSERT_TRUE(usage);
  EXPECT_EQ(usage->processes, 2);
  EXPECT_GT(usage->rss_bytes, 0u);
  ASSERT_TRUE(mine);
  EXPECT_GE(mine->processes, 3) << "this process, its child and grandchild";
}

TEST(ProcessTreeUsage, GoneProcessHasNoUsage) {
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  EXPECT_FALSE(ProcessSnapshot::take().tree_usage(child));
}

TEST(ProcessTreeUsage, BusyTreeShowsCpuNearOneCoreIdleOneNearZero) {
  auto before = ProcessSnapshot::take();
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
  volatile unsigned long spin = 0;
  while (std::chrono::steady_clock::now() < until) spin = spin + 1;
  auto after = ProcessSnapshot::take();
  auto percent = cpu_percent(::getpid(), before, after);
  ASSERT_TRUE(percent);
  // Generous: a loaded 2-core machine may give the spinner less than a core.
  EXPECT_GT(*percent, 20.0);
  EXPECT_LT(*percent, 250.0);
}

}  // namespace
}  // namespace vq::admin
