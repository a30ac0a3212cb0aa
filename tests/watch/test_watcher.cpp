// Issue 15: every admitted run is watched by a vq-watch outside its process tree and recorded
// in the history when it ends; waits that end without a slot are recorded too. Observers: the
// history rows, /proc (children lists, descriptors, command lines), the kernel's record locks.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <string_view>

#include "watch_harness.h"

namespace vq::mp {
namespace {

using WatcherTest = WatchTest;
constexpr std::int64_t k_mib = 1 << 20;

std::string ended(const history::RunRecord& row) {
  return std::string(history::describe(row.end, row.end_code));
}

TEST_F(WatcherTest, PeakMemoryIsThePssOfTheWholeTree) {
  // 100 MiB shared by the fake and its two children, 50 MiB of each child's own: PSS says
  // 200 MiB over the tree; RSS would count the shared pages three times (400 MiB).
  Process run(shim_launch("tree", watched_env("tree", {{"FAKE_SHARED_MIB", "100"},
                                                       {"FAKE_CHILD_OWN_MIB", "50"},
                                                       {"FAKE_SLEEP_MS", "1500"}})));
  auto status = run.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(0)) << run.stderr_text();
  auto found = wait_for_rows(1);
  ASSERT_EQ(found.size(), 1u);
  const history::RunRecord& row = found[0];
  ASSERT_TRUE(row.peak_memory_bytes);
  std::printf("[   INFO   ] recorded peak: %.1f MiB (%s)\n",
              static_cast<double>(*row.peak_memory_bytes) / k_mib, row.peak_is_rss ? "RSS" : "PSS");
  EXPECT_FALSE(row.peak_is_rss);
  EXPECT_GE(*row.peak_memory_bytes, 190 * k_mib);
  EXPECT_LE(*row.peak_memory_bytes, 240 * k_mib);
  EXPECT_EQ(ended(row), "exited 0");
  EXPECT_EQ(row.pid, run.pid());
  EXPECT_EQ(row.queue_dir, queue_dir());
  EXPECT_TRUE(row.admitted_at_ms);
  EXPECT_GE(row.ended_at_ms - *row.admitted_at_ms, 1400);
  EXPECT_TRUE(row.cpu_time_ms);
}

TEST_F(WatcherTest, ExitStatusesAreUnchangedAndRecorded) {
  const std::vector<std::pair<Env, std::string>> cases = {
      {{{"FAKE_EXIT", "0"}}, "exited 0"},
      {{{"FAKE_EXIT", "1"}}, "exited 1"},
      {{{"FAKE_EXIT", "42"}}, "exited 42"},
      {{{"FAKE_SIGNAL", "15"}}, "killed by signal 15"},
  };
  for (const auto& [overrides, expected] : cases) {
    Env slow = overrides;
    slow["FAKE_SLEEP_MS"] = "300";
    Env unwatched = slow;
    unwatched["VQ_WATCH"] = "0";
    Process watched_run(shim_launch("watched", watched_env("watched", slow)));
    Process direct_run(direct_launch("direct", env_for("direct", slow)));
    Process unwatched_run(shim_launch("unwatched", watched_env("unwatched", unwatched)));
    auto watched = watched_run.wait();
    auto direct = direct_run.wait();
    auto without = unwatched_run.wait();
    ASSERT_TRUE(watched && direct && without);
    EXPECT_EQ(describe_status(*watched), describe_status(*direct)) << expected;
    EXPECT_EQ(describe_status(*without), describe_status(*direct)) << expected;
  }
  auto found = wait_for_rows(cases.size());
  ASSERT_EQ(found.size(), cases.size()) << "VQ_WATCH=0 runs add no row";
  // Newest first.
  for (std::size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(ended(found[cases.size() - 1 - i]), cases[i].second);
  }
}

// The shim hands the watcher a pidfd of itself: a run over before the watcher is up (a few ms
// after exec, longer on a loaded machine) still has its end recorded, not `unknown`.
TEST_F(WatcherTest, RunOverBeforeItsWatcherStartsStillHasItsEnd) {
  if (!kernel_has_pidfd_exit_info()) GTEST_SKIP() << "needs PIDFD_INFO_EXIT (Linux 6.15+)";
  constexpr int k_runs = 5;
  for (int i = 0; i < k_runs; ++i) {
    // A shell reaps the run the moment it exits, as a parent blocked in waitpid does.
    Launch launch = shim_launch("quick", watched_env("quick", {{"FAKE_EXIT", "5"}}));
    launch.argv = {"sh", "-c", shim_path() + "; exit $?"};
    launch.program = "/bin/sh";
    Process run(launch);
    auto status = run.wait();
    ASSERT_TRUE(status);
    EXPECT_EQ(describe_status(*status), exited(5));
  }
  auto found = wait_for_rows(k_runs);
  ASSERT_EQ(found.size(), static_cast<std::size_t>(k_runs));
  for (const auto& row : found) EXPECT_EQ(ended(row), "exited 5");
}

TEST_F(WatcherTest, SigkillOfHolderIsRecordedAsSignal9) {
  Process holder = start_holder("holder", watched_env("holder", {{"FAKE_SLEEP_MS", "30000"}}));
  ASSERT_TRUE(eventually([&] { return !watchers_of(holder.pid()).empty(); }, 5s));
  holder.send(SIGKILL);
  ASSERT_TRUE(holder.wait());
  auto found = wait_for_rows(1);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(ended(found[0]), "killed by signal 9");
}

TEST_F(WatcherTest, WatcherIsOutsideTheTreeHoldsNoDescriptorOfItAndEndsWithTheRun) {
  int out[2];
  ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
  Launch launch = shim_launch(
      "piped", watched_env("piped", {{"FAKE_SLEEP_MS", "1000"}, {"FAKE_STDOUT", "hello\n"}}));
  launch.stdout_path = "/proc/self/fd/" + std::to_string(out[1]);
  Process run(launch);
  ::close(out[1]);
  ASSERT_TRUE(eventually([&] { return has_started("piped"); }));
  std::vector<pid_t> watchers;
  ASSERT_TRUE(eventually([&] { return !(watchers = watchers_of(run.pid())).empty(); }, 5s));
  ASSERT_EQ(watchers.size(), 1u);
  const pid_t watcher = watchers[0];
  // vitest is the shim's process, with the test as its parent, and the watcher is no child.
  EXPECT_EQ(resolved_exe(run.pid()), real_path(fake_vitest_path()));
  EXPECT_EQ(children_of(run.pid()), std::vector<pid_t>{});
  const std::string fd_dir = "/proc/" + std::to_string(watcher) + "/fd";
  char target[256];
  const std::string stdout_link = "/proc/" + std::to_string(run.pid()) + "/fd/1";
  const ssize_t n = ::readlink(stdout_link.c_str(), target, sizeof target - 1);
  ASSERT_GT(n, 0);
  const std::string pipe_name(target, static_cast<std::size_t>(n));
  for (int fd = 0; fd < 64; ++fd) {
    const std::string link = fd_dir + "/" + std::to_string(fd);
    const ssize_t m = ::readlink(link.c_str(), target, sizeof target - 1);
    if (m > 0) {
      EXPECT_NE(std::string(target, static_cast<std::size_t>(m)), pipe_name) << link;
    }
  }
  // A reader of vitest's stdout sees EOF when vitest exits.
  std::string text;
  char buffer[256];
  for (ssize_t got; (got = ::read(out[0], buffer, sizeof buffer)) > 0;) text.append(buffer, got);
  const auto eof_ns = monotonic_ns();
  ::close(out[0]);
  EXPECT_EQ(text, "hello\n");
  auto end = find_event(records(), RecordEvent::Kind::end, "piped");
  ASSERT_TRUE(end);
  EXPECT_LT(eof_ns - end->ns, 500'000'000) << "EOF came long after vitest's end";
  EXPECT_EQ(end->pid, run.pid()) << "vitest runs under the shim's pid";
  auto status = run.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(0));
  const auto gone_by = monotonic_ns();
  EXPECT_TRUE(eventually([&] { return watchers_of(run.pid()).empty(); }, 1s))
      << "the watcher outlived its run by more than 1 s";
  std::printf("[   INFO   ] watcher gone %.1f ms after the run was reaped\n",
              (monotonic_ns() - gone_by) / 1e6);
}

std::string allowed_cpus(pid_t pid) {
  const std::string status = read_file("/proc/" + std::to_string(pid) + "/status");
  constexpr std::string_view k_label = "Cpus_allowed_list:";
  const std::size_t at = status.find(k_label);
  if (at == std::string::npos) return "";
  const std::size_t from = status.find_first_not_of(" \t", at + k_label.size());
  return status.substr(from, status.find('\n', from) - from);
}

// The shim pins itself to one CPU while it starts the watcher (shim/cpu_pin.h): vitest and the
// watcher both run on the CPUs the launcher gave, as they would without vq.
TEST_F(WatcherTest, VitestAndItsWatcherKeepTheLaunchersCpus) {
  const std::string launchers = allowed_cpus(::getpid());
  if (launchers.find_first_of(",-") == std::string::npos) {
    GTEST_SKIP() << "this test process may run on one CPU only (" << launchers
                 << "): nothing to pin";
  }
  Process run(shim_launch("cpus", watched_env("cpus", {{"FAKE_SLEEP_MS", "800"}})));
  ASSERT_TRUE(eventually([&] { return has_started("cpus"); }));
  std::vector<pid_t> watchers;
  ASSERT_TRUE(eventually([&] { return !(watchers = watchers_of(run.pid())).empty(); }, 5s));
  EXPECT_EQ(allowed_cpus(run.pid()), launchers) << "vitest";
  EXPECT_EQ(allowed_cpus(watchers[0]), launchers) << "its watcher";
  auto status = run.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(0));
}

// Record locks are not inherited by fork: the watcher never holds the run's slot.
TEST_F(WatcherTest, SlotIsFreeTheMomentVitestExits) {
  Process holder = start_holder(
      "holder", watched_env("holder", {{"VQ_MAX_PROCESSES", "1"}, {"FAKE_SLEEP_MS", "600"}}));
  ASSERT_TRUE(eventually([&] { return !watchers_of(holder.pid()).empty(); }, 5s));
  const int lock_fd = ::open((queue_dir() + "/slots.lock").c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(lock_fd, 0);
  auto owner_of_slots = [&] {
    struct flock probe {};
    probe.l_type = F_WRLCK;
    probe.l_whence = SEEK_SET;
    probe.l_start = 1;
    probe.l_len = 64;
    EXPECT_EQ(::fcntl(lock_fd, F_GETLK, &probe), 0);
    return probe.l_type == F_UNLCK ? pid_t{0} : probe.l_pid;
  };
  EXPECT_EQ(owner_of_slots(), holder.pid());
  ASSERT_TRUE(holder.wait());
  EXPECT_EQ(owner_of_slots(), 0) << "a slot lock outlived vitest";
  ::close(lock_fd);
}

TEST_F(WatcherTest, MissingWatcherCostsTheRunNothingButItsRow) {
  Process run(shim_launch("alone", watched_env("alone", {{"VQ_WATCHER", tmp() + "/no-such"},
                                                         {"FAKE_STDOUT", "ran\n"},
                                                         {"FAKE_EXIT", "3"}})));
  auto status = run.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(3));
  EXPECT_EQ(run.stdout_text(), "ran\n");
  EXPECT_EQ(run.stderr_text(), "");
  sleep_for_ms(300);
  EXPECT_TRUE(rows().empty());
}

TEST_F(WatcherTest, FiftyConcurrentRunsGiveFiftyRows) {
  std::vector<Process> runs;
  for (int i = 0; i < 50; ++i) {
    const std::string id = "run" + std::to_string(i);
    runs.emplace_back(
        shim_launch(id, watched_env(id, {{"VQ_MAX_PROCESSES", "8"}, {"FAKE_SLEEP_MS", "100"}})));
  }
  for (Process& run : runs) {
    auto status = run.wait(60s);
    ASSERT_TRUE(status);
    EXPECT_EQ(describe_status(*status), exited(0));
  }
  auto found = wait_for_rows(50);
  EXPECT_EQ(found.size(), 50u);
  std::set<int> pids;
  for (const auto& row : found) pids.insert(row.pid);
  EXPECT_EQ(pids.size(), 50u);
}

TEST_F(WatcherTest, WaitsThatEndWithoutASlotAreRecorded) {
  Process holder = start_holder(
      "holder", watched_env("holder", {{"VQ_MAX_PROCESSES", "1"}, {"FAKE_SLEEP_MS", "30000"}}));
  Process impatient = start_waiter(
      "impatient",
      watched_env("impatient", {{"VQ_MAX_PROCESSES", "1"}, {"VQ_QUEUE_TIMEOUT", "0.5"}}));
  Process interrupted =
      start_waiter("interrupted", watched_env("interrupted", {{"VQ_MAX_PROCESSES", "1"}}));
  ASSERT_TRUE(impatient.wait());
  interrupted.send(SIGINT);
  ASSERT_TRUE(interrupted.wait());
  auto found = wait_for_rows(2);
  ASSERT_EQ(found.size(), 2u);
  std::map<pid_t, std::string> ends;
  for (const auto& row : found) {
    ends[row.pid] = ended(row);
    EXPECT_FALSE(row.admitted_at_ms);
  }
  EXPECT_EQ(ends[impatient.pid()], "timed out waiting");
  EXPECT_EQ(history::RunEnd::wait_interrupted,
            std::find_if(found.begin(), found.end(), [&](const auto& row) {
              return row.pid == interrupted.pid();
            })->end);
  holder.send(SIGTERM);
}

// A launch that must wait starts its watcher while it waits (so the handoff does not wait for
// it), and that one watcher, told of the admission, watches and records the run.
TEST_F(WatcherTest, AWaitersWatcherIsUpDuringTheWaitAndWatchesTheRunOnceAdmitted) {
  Process holder = start_holder(
      "holder", watched_env("holder", {{"VQ_MAX_PROCESSES", "1"}, {"FAKE_SLEEP_MS", "1500"}}));
  Process waiter = start_waiter("waiter", watched_env("waiter", {{"VQ_MAX_PROCESSES", "1"},
                                                                 {"FAKE_SLEEP_MS", "300"},
                                                                 {"FAKE_EXIT", "3"}}));
  ASSERT_TRUE(eventually([&] { return watchers_of(waiter.pid()).size() == 1; }, 5s))
      << "no watcher while the launch waits";
  EXPECT_FALSE(has_started("waiter"));
  const std::vector<pid_t> pending = watchers_of(waiter.pid());
  // The watcher that waited is the one that watches: no second one is started.
  ASSERT_TRUE(eventually([&] { return has_started("waiter"); }, 10s));
  EXPECT_EQ(watchers_of(waiter.pid()), pending);
  auto status = waiter.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(3)) << waiter.stderr_text();
  ASSERT_TRUE(holder.wait());
  auto found = wait_for_rows(2);
  ASSERT_EQ(found.size(), 2u);
  const auto row = std::find_if(found.begin(), found.end(),
                                [&](const auto& r) { return r.pid == waiter.pid(); });
  ASSERT_NE(row, found.end());
  EXPECT_EQ(ended(*row), "exited 3");
  ASSERT_TRUE(row->admitted_at_ms);
  EXPECT_GT(*row->admitted_at_ms, row->queued_at_ms) << "it waited for the holder";
  EXPECT_TRUE(eventually([&] { return watchers_of(waiter.pid()).empty(); }, 5s));
}

// A waiter killed while it waits tells its watcher nothing: the watcher ends and writes no row,
// as for a launch that never had one.
TEST_F(WatcherTest, AWaiterKilledWhileWaitingLeavesNoWatcherAndNoRow) {
  Process holder = start_holder(
      "holder", watched_env("holder", {{"VQ_MAX_PROCESSES", "1"}, {"FAKE_SLEEP_MS", "30000"}}));
  Process waiter = start_waiter("waiter", watched_env("waiter", {{"VQ_MAX_PROCESSES", "1"}}));
  ASSERT_TRUE(eventually([&] { return watchers_of(waiter.pid()).size() == 1; }, 5s));
  waiter.send(SIGKILL);
  ASSERT_TRUE(waiter.wait());
  EXPECT_TRUE(eventually([&] { return watchers_of(waiter.pid()).empty(); }, 5s))
      << "the pending watcher outlived its launch";
  holder.send(SIGTERM);
  ASSERT_TRUE(holder.wait());
  auto found = wait_for_rows(1);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].pid, holder.pid());
}

}  // namespace
}  // namespace vq::mp
