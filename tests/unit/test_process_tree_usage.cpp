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

TEST(ProcessTreeUsage, AverageCpuIsTreeCpuTimeOverTheRunSoFar) {
  const auto ticks_per_s = static_cast<std::uint64_t>(::sysconf(_SC_CLK_TCK));
  TreeUsage usage{0, 2 * ticks_per_s, 3};
  auto percent = average_cpu_percent(usage, 4.0);
  ASSERT_TRUE(percent);
  EXPECT_DOUBLE_EQ(*percent, 50.0);
  usage.cpu_ticks = 8 * ticks_per_s;
  EXPECT_DOUBLE_EQ(*average_cpu_percent(usage, 4.0), 200.0) << "two busy cores show 200%";
  EXPECT_FALSE(average_cpu_percent(usage, 0.0)) << "no time, no figure";
}

TEST(ProcessTreeUsage, OwnAgeIsKnownAndGrows) {
  auto age = process_age_s(::getpid());
  ASSERT_TRUE(age);
  EXPECT_GE(*age, 0.0);
  EXPECT_LT(*age, 24 * 3600.0);
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
