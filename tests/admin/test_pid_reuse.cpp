// PID reuse (invariant 1, DESIGN "identify a process by (pid, start time)"): a slot or waiter
// record whose pid now belongs to another, live process is stale. The shim admits past it and
// `vq-admin status` neither counts it as busy nor lists it as waiting.
//
// Real reuse: a holder (or waiter) is killed and a new, unrelated process is given its pid by
// writing /proc/sys/kernel/ns_last_pid (needs root; skipped otherwise). Without root, the same
// situation is made by pointing the dead holder's record at a live unrelated process.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

#include "admin_harness.h"
#include "lock_file.h"
#include "slot_table.h"

namespace vq::mp {
namespace {

using nlohmann::json;
using PidReuseTest = AdminTest;

const Env k_limit_one{{"VQ_MAX_PROCESSES", "1"}};

Env with(Env env, const Env& more) {
  apply_overrides(env, more);
  return env;
}

Launch sleeper_launch() {
  Launch launch;
  launch.program = "/bin/sleep";
  launch.argv = {"sleep", "30"};
  launch.env = {{"PATH", "/usr/bin:/bin"}};
  return launch;
}

// A new `sleep` process that has exactly `pid`, made by setting the kernel's last-pid counter
// just below it; other processes on the machine may take the pid first, hence the retries.
// nullopt when the counter cannot be written (not root) or the pid could not be had.
// A process start time counts clock ticks (10 ms): a process started within the tick of the one
// it replaces would share its start time, which no real reuse (after a whole test run) does.
// Waiting past a tick keeps the tests about reuse, not about tick granularity.
void let_a_clock_tick_pass() {
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
}

std::optional<Process> unrelated_process_with_pid(pid_t pid) {
  let_a_clock_tick_pass();
  for (int attempt = 0; attempt < 500; ++attempt) {
    {
      std::ofstream last_pid("/proc/sys/kernel/ns_last_pid");
      last_pid << pid - 1 << std::flush;
      if (!last_pid) return std::nullopt;
    }
    Process candidate(sleeper_launch());
    if (candidate.pid() == pid) {
      std::printf("[   INFO   ] pid %d given to a new process at attempt %d\n", pid, attempt + 1);
      return std::optional<Process>(std::move(candidate));
    }
  }
  return std::nullopt;
}

// The stale-record reason status gives for `pid`, or "" when no stale record names it.
std::string stale_reason_for(const json& status, pid_t pid) {
  for (const json& record : status.at("stale")) {
    if (record.at("pid") == pid) return record.at("reason").get<std::string>();
  }
  return "";
}

TEST_F(PidReuseTest, HolderRecordWhosePidARealNewProcessGotIsNotCountedAndAdmitsTheNext) {
  Process holder = start_holder("holder", with(k_limit_one, {{"FAKE_SLEEP_MS", "30000"}}));
  const pid_t pid = holder.pid();
  const std::string holder_start = proc_start_time(pid);

  // Control: while the holder lives, it is counted and the next launch waits.
  json status = status_json();
  EXPECT_EQ(status.at("busy"), 1) << status.dump(2);
  Process blocked(shim_launch("blocked", with(k_limit_one, {{"VQ_QUEUE_TIMEOUT", "1"}})));
  const auto blocked_status = blocked.wait();
  ASSERT_TRUE(blocked_status);
  EXPECT_EQ(describe_status(*blocked_status), exited(75));

  holder.send(SIGKILL);
  ASSERT_TRUE(holder.wait());
  std::optional<Process> impostor = unrelated_process_with_pid(pid);
  if (!impostor) GTEST_SKIP() << "cannot give a new process pid " << pid << " (needs root)";
  ASSERT_NE(proc_start_time(pid), holder_start);

  // No vq process has passed since the kill, so the record still names pid, now the impostor's.
  status = status_json();
  EXPECT_EQ(status.at("busy"), 0) << status.dump(2);
  EXPECT_TRUE(status.at("active").empty()) << status.dump(2);
  EXPECT_EQ(stale_reason_for(status, pid), "pid reused") << status.dump(2);

  Process next(shim_launch("next", with(k_limit_one, {{"VQ_QUEUE_TIMEOUT", "5"}})));
  const auto next_status = next.wait();
  ASSERT_TRUE(next_status);
  EXPECT_EQ(describe_status(*next_status), exited(0)) << next.stderr_text();
  EXPECT_EQ(next.stderr_text(), "") << "the next launch waited for the impostor";
  EXPECT_TRUE(has_started("next"));
}

TEST_F(PidReuseTest, WaiterRecordWhosePidARealNewProcessGotNeitherWaitsNorHoldsUpTheQueue) {
  Process holder = start_holder("holder", with(k_limit_one, {{"FAKE_SLEEP_MS", "30000"}}));
  Process doomed = start_waiter("doomed", k_limit_one);
  const pid_t pid = doomed.pid();
  doomed.send(SIGKILL);
  ASSERT_TRUE(doomed.wait());
  std::optional<Process> impostor = unrelated_process_with_pid(pid);
  if (!impostor) GTEST_SKIP() << "cannot give a new process pid " << pid << " (needs root)";

  json status = status_json();
  EXPECT_TRUE(status.at("waiting").empty()) << status.dump(2);
  EXPECT_EQ(stale_reason_for(status, pid), "pid reused") << status.dump(2);

  // A waiter behind the dead one's record is first in line, and admitted when the holder ends.
  Process behind = start_waiter("behind", k_limit_one);
  status = status_json();
  ASSERT_EQ(status.at("waiting").size(), 1u) << status.dump(2);
  EXPECT_EQ(status.at("waiting")[0].at("pid"), behind.pid());
  holder.send(SIGKILL);
  const auto behind_status = behind.wait();
  ASSERT_TRUE(behind_status);
  EXPECT_EQ(describe_status(*behind_status), exited(0)) << behind.stderr_text();
  EXPECT_TRUE(has_started("behind"));
}

TEST_F(PidReuseTest, HolderRecordNamingALiveUnrelatedProcessWithAnotherStartTimeIsNotCounted) {
  Process holder = start_holder("holder", with(k_limit_one, {{"FAKE_SLEEP_MS", "30000"}}));
  holder.send(SIGKILL);
  ASSERT_TRUE(holder.wait());
  let_a_clock_tick_pass();
  Process unrelated(sleeper_launch());
  ASSERT_TRUE(eventually([&] { return !proc_start_time(unrelated.pid()).empty(); }));

  // The dead holder's record, pointed at the unrelated process: its pid, the holder's start time.
  {
    auto dir = QueueDir::open(queue_dir());
    ASSERT_TRUE(dir) << dir.error().message;
    auto locks = LockFile::open(*dir);
    ASSERT_TRUE(locks) << locks.error().message;
    auto table = SlotTable::open(*dir);
    ASSERT_TRUE(table) << table.error().message;
    auto guard = locks->lock_update();
    ASSERT_TRUE(guard) << guard.error().message;
    SlotRecord& record = table->table().slots[0];
    ASSERT_EQ(record.state, RecordState::used);
    ASSERT_EQ(record.pid, holder.pid());
    ASSERT_NE(std::to_string(record.start_time), proc_start_time(unrelated.pid()));
    record.pid = unrelated.pid();
    seal(record);
  }

  const json status = status_json();
  EXPECT_EQ(status.at("busy"), 0) << status.dump(2);
  EXPECT_EQ(stale_reason_for(status, unrelated.pid()), "pid reused") << status.dump(2);

  Process next(shim_launch("next", with(k_limit_one, {{"VQ_QUEUE_TIMEOUT", "5"}})));
  const auto next_status = next.wait();
  ASSERT_TRUE(next_status);
  EXPECT_EQ(describe_status(*next_status), exited(0)) << next.stderr_text();
  EXPECT_EQ(next.stderr_text(), "");
}

}  // namespace
}  // namespace vq::mp
