// The watcher writes its run's row at SCHED_IDLE, for a bounded time only
// (watch/upkeep_priority.h). Observers: the kernel's view of the watcher's scheduling class and
// nice level (/proc/PID/stat), while the test holds the history's write lock so that the watcher's
// post-run part lasts.
#include <sched.h>
#include <sqlite3.h>

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
  // The history is locked for longer than the bound (250 ms) and less than a writer waits (1 s).
  const auto ended = std::chrono::steady_clock::now();
  EXPECT_TRUE(eventually([&] { return scheduling_of(watcher).policy == SCHED_IDLE; }, 200ms))
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

}  // namespace
}  // namespace vq::mp
