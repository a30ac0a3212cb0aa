#include "process_tree_usage.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace vq {
namespace {

// A child that sleeps and has started a grandchild that sleeps; -1 if fork failed.
pid_t start_child_and_grandchild() {
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
  return child;
}

void end_child_and_grandchild(pid_t child) {
  ::kill(-child, SIGKILL);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
}

TEST(ProcessTreeUsage, CountsChildrenAndGrandchildrenOfTheRoot) {
  const pid_t child = start_child_and_grandchild();
  ASSERT_GT(child, 0);
  std::optional<TreeUsage> usage;
  for (int attempt = 0; attempt < 2500; ++attempt) {
    usage = ProcessSnapshot::take().tree_usage(child);
    if (usage && usage->processes == 2) break;
    ::usleep(2000);
  }
  auto mine = ProcessSnapshot::take().tree_usage(::getpid());
  end_child_and_grandchild(child);
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

// A /proc of our own making: stat files and, when `children_lists`, each task's children file
// and the thread-self probe, as a kernel with CONFIG_PROC_CHILDREN has them.
class FakeProc {
 public:
  explicit FakeProc(bool children_lists) {
    char pattern[] = "/tmp/vq-fake-proc-XXXXXX";
    m_root = ::mkdtemp(pattern);
    if (children_lists) write("thread-self/children", "");
  }
  ~FakeProc() { std::filesystem::remove_all(m_root); }
  const std::string& root() const { return m_root; }

  // rss in pages, cpu as utime; `tasks` maps each thread to the children it started.
  void process(pid_t pid, pid_t parent, int rss, int cpu,
               const std::vector<std::pair<pid_t, std::string>>& tasks = {}) {
    std::string stat = std::to_string(pid) + " (node worker) S " + std::to_string(parent) +
                       " 1 1 0 -1 4194560 0 0 0 0 " + std::to_string(cpu) +
                       " 0 0 0 20 0 1 0 12345 1000000 " + std::to_string(rss) + " 0\n";
    write(std::to_string(pid) + "/stat", stat);
    for (const auto& [tid, children] : tasks) {
      write(std::to_string(pid) + "/task/" + std::to_string(tid) + "/children", children);
    }
  }

 private:
  void write(const std::string& relative, const std::string& text) {
    std::filesystem::path path = std::filesystem::path(m_root) / relative;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << text;
  }
  std::string m_root;
};

TEST(ProcessTreeUsage, WithChildrenListsOnlyTheRootsTreesAreRead) {
  FakeProc proc(/*children_lists=*/true);
  // 100 started 101 from its main thread and 102 from another thread; 101 started 103.
  proc.process(100, 1, 10, 5, {{100, "101 "}, {107, "102 "}});
  proc.process(101, 100, 20, 7, {{101, "103"}});
  proc.process(102, 100, 30, 11, {{102, ""}});
  proc.process(103, 101, 40, 13, {{103, ""}});
  proc.process(200, 1, 50, 17, {{200, ""}});  // not in any root's tree

  auto snapshot = ProcessSnapshot::take_trees({100}, proc.root());
  auto usage = snapshot.tree_usage(100);
  ASSERT_TRUE(usage);
  EXPECT_EQ(usage->processes, 4) << "the root, children of both threads, a grandchild";
  EXPECT_EQ(usage->cpu_ticks, 5u + 7 + 11 + 13);
  EXPECT_EQ(usage->rss_bytes, (10u + 20 + 30 + 40) * static_cast<std::uint64_t>(::getpagesize()));
  EXPECT_FALSE(snapshot.tree_usage(200)) << "a process outside the trees was read";
}

TEST(ProcessTreeUsage, WithoutChildrenListsEveryProcessIsRead) {
  FakeProc proc(/*children_lists=*/false);
  proc.process(100, 1, 10, 5);
  proc.process(101, 100, 20, 7);
  proc.process(200, 1, 50, 17);

  auto snapshot = ProcessSnapshot::take_trees({100}, proc.root());
  auto usage = snapshot.tree_usage(100);
  ASSERT_TRUE(usage);
  EXPECT_EQ(usage->processes, 2) << "the child is found through its parent field";
  EXPECT_TRUE(snapshot.tree_usage(200)) << "without lists, every process is read";
}

TEST(ProcessTreeUsage, TreesOfRealProcessesMatchTheFullScan) {
  const pid_t child = start_child_and_grandchild();
  ASSERT_GT(child, 0);
  std::optional<TreeUsage> full, trees;
  for (int attempt = 0; attempt < 2500; ++attempt) {
    full = ProcessSnapshot::take().tree_usage(child);
    trees = ProcessSnapshot::take_trees({child}).tree_usage(child);
    if (full && trees && full->processes == 2 && trees->processes == 2) break;
    ::usleep(2000);
  }
  end_child_and_grandchild(child);
  ASSERT_TRUE(full);
  ASSERT_TRUE(trees);
  EXPECT_EQ(trees->processes, full->processes);
}

TEST(ProcessTreeUsage, NoRootsReadsNothing) {
  EXPECT_FALSE(ProcessSnapshot::take_trees({}).tree_usage(::getpid()));
}

}  // namespace
}  // namespace vq
