// The watcher writes its run's row at SCHED_IDLE, for a bounded time only
// (watch/upkeep_priority.h). Observers: the kernel's view of the watcher's scheduling class and
// nice level (/proc/PID/stat), while the test holds the history's write lock so that the watcher's
// post-run part lasts.
#include <sched.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <sstream>

#include "watch_harness.h"

namespace vq::mp {
namespace {

using UpkeepPriorityTest = WatchTest;

struct Scheduling {
  int policy = -1;  // SCHED_OTHER 0, SCHED_IDLE 5
  int nice = 0;
};

// Fields 19 (nice) and 41 (policy) of /proc/PID/stat; policy -1 once the process is gone.
Scheduling scheduling_of(pid_t pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  Scheduling seen;
  const std::size_t close = stat.rfind(')');
  if (close == std::string::npos) return seen;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  for (int number = 3; fields >> field; ++number) {
    if (number == 19) seen.nice = std::stoi(field);
    if (number == 41) seen.policy = std::stoi(field);
  }
  return seen;
}

TEST_F(UpkeepPriorityTest, RowIsWrittenAtIdlePriorityForABoundedTime) {
  ASSERT_TRUE(history::HistoryStore::open(history_path()));
  sqlite3* lock = nullptr;
  ASSERT_EQ(sqlite3_open(history_path().c_str(), &lock), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(lock, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);

  Process run(shim_launch("idle", watched_env("idle", {{"FAKE_SLEEP_MS", "300"}})));
  std::vector<pid_t> watchers;
  ASSERT_TRUE(eventually([&] { return !(watchers = watchers_of(run.pid())).empty(); }, 5s));
  const pid_t watcher = watchers[0];
  EXPECT_EQ(scheduling_of(watcher).policy, SCHED_OTHER) << "sampling runs in the normal class";
  auto status = run.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(0));
  // The history stays locked for longer than the bound (250 ms) and less than a writer waits
  // (1 s); the watcher, slow to start on a loaded machine, is polled until it lowers itself.
  const auto ended = std::chrono::steady_clock::now();
  EXPECT_TRUE(eventually([&] { return scheduling_of(watcher).policy == SCHED_IDLE; }, 1s))
      << "the watcher never went to SCHED_IDLE after its run ended";
  EXPECT_TRUE(eventually([&] { return scheduling_of(watcher).policy == SCHED_OTHER; }, 600ms))
      << "the watcher stayed in SCHED_IDLE past its bound";
  const auto back_after = std::chrono::steady_clock::now() - ended;
  EXPECT_EQ(scheduling_of(watcher).nice, 10);
  std::printf("[   INFO   ] back in the normal class %lld ms after the run ended\n",
              static_cast<long long>(
                  std::chrono::duration_cast<std::chrono::milliseconds>(back_after).count()));

  ASSERT_EQ(sqlite3_exec(lock, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(lock);
  EXPECT_EQ(wait_for_rows(1).size(), 1u) << "the row waited for the lock and was written";
}

bool has_cap_sys_nice(pid_t pid) {
  const std::string status = read_file("/proc/" + std::to_string(pid) + "/status");
  const std::size_t at = status.find("CapEff:\t");
  if (at == std::string::npos) return false;
  const std::uint64_t effective = std::stoull(status.substr(at + 8, 16), nullptr, 16);
  return (effective >> 23 & 1) != 0;  // CAP_SYS_NICE
}

// Without CAP_SYS_NICE and under RLIMIT_NICE 0 (the default) the kernel refuses to let a process
// leave SCHED_IDLE: such a watcher lowers itself to nice 19 instead, and never goes idle.
TEST_F(UpkeepPriorityTest, WatcherThatCouldNotComeBackFromIdleGoesToNice19Instead) {
  if (!path_exists("/usr/bin/setpriv")) GTEST_SKIP() << "setpriv (util-linux) is not installed";
  ASSERT_TRUE(history::HistoryStore::open(history_path()));
  sqlite3* lock = nullptr;
  ASSERT_EQ(sqlite3_open(history_path().c_str(), &lock), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(lock, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);

  Launch launch = shim_launch("plain", watched_env("plain", {{"FAKE_SLEEP_MS", "300"}}));
  if (::geteuid() == 0) {
    // As root: the shim, and so its watcher, without CAP_SYS_NICE.
    launch.argv.insert(launch.argv.begin(),
                       {"setpriv", "--bounding-set=-sys_nice", "--inh-caps=-sys_nice"});
    launch.program = "/usr/bin/setpriv";
  }
  // RLIMIT_NICE 0 whatever this machine's default, inherited by the run and its watcher.
  rlimit nice_limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NICE, &nice_limit), 0);
  rlimit none = nice_limit;
  none.rlim_cur = 0;
  ASSERT_EQ(::setrlimit(RLIMIT_NICE, &none), 0);
  Process run(launch);
  ::setrlimit(RLIMIT_NICE, &nice_limit);
  std::vector<pid_t> watchers;
  ASSERT_TRUE(eventually([&] { return !(watchers = watchers_of(run.pid())).empty(); }, 5s));
  const pid_t watcher = watchers[0];
  ASSERT_FALSE(has_cap_sys_nice(watcher)) << "the test could not take CAP_SYS_NICE away";
  auto status = run.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(0));
  EXPECT_TRUE(eventually([&] { return scheduling_of(watcher).nice == 19; }, 500ms))
      << "the watcher did not lower itself to nice 19 after its run ended";
  EXPECT_EQ(scheduling_of(watcher).policy, SCHED_OTHER) << "it went to SCHED_IDLE for good";

  ASSERT_EQ(sqlite3_exec(lock, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(lock);
  EXPECT_EQ(wait_for_rows(1).size(), 1u);
}

}  // namespace
}  // namespace vq::mp
