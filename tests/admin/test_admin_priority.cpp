// Steering the line with `vq-admin priority` and `urgent`, who watches the holders (seen from
// outside through the waiters' pidfds in /proc), and the upgrade of a previous-layout table
// under live runs.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "admin_harness.h"
#include "lock_file.h"
#include "process_identity.h"
#include "queue_dir.h"
#include "queue_store.h"
#include "table_upgrade.h"

namespace vq::mp {
namespace {

using AdminPriorityTest = AdminTest;

const Env k_limit_one{{"VQ_MAX_PROCESSES", "1"}, {"VQ_QUEUE_TIMEOUT", "60"}};

Env with(Env env, const Env& more) {
  apply_overrides(env, more);
  return env;
}

// Which of `waiters` hold a pidfd on `holder` at any moment over `ms`: those that a holder's
// exit would wake.
std::set<std::string> watchers_of(pid_t holder, const std::vector<const Process*>& waiters,
                                  const std::vector<std::string>& names, int ms) {
  std::set<std::string> seen;
  const std::int64_t until = monotonic_ns() + std::int64_t{ms} * 1'000'000;
  while (monotonic_ns() < until) {
    for (std::size_t i = 0; i < waiters.size(); ++i) {
      auto targets = pidfd_targets(waiters[i]->pid());
      if (std::find(targets.begin(), targets.end(), holder) != targets.end()) seen.insert(names[i]);
    }
    sleep_for_ms(5);
  }
  return seen;
}

std::string joined(const std::set<std::string>& names) {
  std::string text;
  for (const std::string& name : names) text += name + " ";
  return text;
}

TEST_F(AdminPriorityTest, UrgentPutsAWaiterNextAndOnlyTheNextWatchesTheHolder) {
  Process holder = start_holder("holder", with(k_limit_one, {{"FAKE_SLEEP_MS", "30000"}}));
  const Env waiting = with(k_limit_one, {{"FAKE_SLEEP_MS", "1000"}});
  Process w1 = start_waiter("w1", waiting);
  Process w2 = start_waiter("w2", waiting);
  Process w3 = start_waiter("w3", waiting);
  const std::vector<const Process*> all = {&w1, &w2, &w3};
  const std::vector<std::string> names = {"w1", "w2", "w3"};
  sleep_for_ms(300);
  EXPECT_EQ(joined(watchers_of(holder.pid(), all, names, 700)), "w1 ");

  const AdminResult urgent = admin({"urgent", std::to_string(w3.pid())});
  ASSERT_EQ(urgent.status, 0) << urgent.err;
  EXPECT_NE(urgent.out.find("priority normal -> urgent; place in line 3 -> 1"), std::string::npos)
      << urgent.out;
  const auto status = status_json();
  ASSERT_EQ(status["waiting"].size(), 3u);
  EXPECT_EQ(status["waiting"][0]["pid"], w3.pid());
  EXPECT_EQ(status["waiting"][0]["priority"], "urgent");
  EXPECT_EQ(status["waiting"][0]["effective_priority"], "urgent");
  EXPECT_EQ(status["waiting"][0]["position"], 1);
  // The poke reaches w1 and w3 at once: within a tick's time only w3 watches the holder.
  sleep_for_ms(100);
  EXPECT_EQ(joined(watchers_of(holder.pid(), all, names, 700)), "w3 ");

  holder.send(SIGTERM);
  ASSERT_TRUE(eventually([&] { return has_started("w3"); })) << w3.stderr_text();
  EXPECT_FALSE(has_started("w1"));
  EXPECT_FALSE(has_started("w2"));
  // One admission, and again one waiter watching the new holder: the next in line.
  sleep_for_ms(100);
  EXPECT_EQ(joined(watchers_of(w3.pid(), {&w1, &w2}, {"w1", "w2"}, 700)), "w1 ");
  for (Process* run : {&w1, &w2, &w3}) ASSERT_TRUE(run->wait());
  EXPECT_EQ(start_order(records()), (std::vector<std::string>{"holder", "w3", "w1", "w2"}));
}

TEST_F(AdminPriorityTest, AHigherArrivalTakesTheWatchOverFromTheWaiterItPassed) {
  Process holder = start_holder("holder", with(k_limit_one, {{"FAKE_SLEEP_MS", "30000"}}));
  Process normal = start_waiter("normal", with(k_limit_one, {{"FAKE_SLEEP_MS", "10"}}));
  sleep_for_ms(300);
  Process high =
      start_waiter("high", with(k_limit_one, {{"FAKE_SLEEP_MS", "10"}, {"VQ_PRIORITY", "high"}}));
  // Sampled at once, for less than the rescan tick: the waiter passed is told, not left to
  // find out on its tick.
  sleep_for_ms(20);
  EXPECT_EQ(joined(watchers_of(holder.pid(), {&normal, &high}, {"normal", "high"}, 300)), "high ");
  holder.send(SIGTERM);
  ASSERT_TRUE(normal.wait());
  ASSERT_TRUE(high.wait());
  EXPECT_EQ(start_order(records()), (std::vector<std::string>{"holder", "high", "normal"}));
}

TEST_F(AdminPriorityTest, PriorityOfAPidThatIsNotWaitingIsRefusedWithTheNextStep) {
  Process holder = start_holder("holder", with(k_limit_one, {{"FAKE_SLEEP_MS", "30000"}}));
  const AdminResult result = admin({"priority", std::to_string(holder.pid()), "high"});
  EXPECT_EQ(result.status, 4) << result.out << result.err;
  EXPECT_NE(result.err.find("is not waiting"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("vq-admin status"), std::string::npos) << result.err;
  const AdminResult bad = admin({"priority", std::to_string(holder.pid()), "top"});
  EXPECT_EQ(bad.status, 2) << bad.err;
  EXPECT_NE(bad.err.find("low, normal, high or urgent"), std::string::npos) << bad.err;
}

// A process that holds one byte of the queue's lock file, as a run of the previous vq version
// holding a slot (byte 1 + slot) or marking a waiter record (byte 1024 + record) does.
pid_t lock_byte_holder(const std::string& queue, bool slot, int index) {
  int ready[2];
  if (::pipe(ready) != 0) return -1;
  pid_t pid = ::fork();
  if (pid != 0) {
    ::close(ready[1]);
    char byte = 0;
    const bool locked = ::read(ready[0], &byte, 1) == 1 && byte == 'y';
    ::close(ready[0]);
    return locked ? pid : -1;
  }
  ::close(ready[0]);
  auto dir = QueueDir::open(queue);
  auto locks = dir ? LockFile::open(*dir) : Result<LockFile>(dir.error());
  const bool locked = locks && (slot ? locks->try_take_slot(index) : locks->try_mark_waiter(index));
  (void)!::write(ready[1], locked ? "y" : "n", 1);
  if (!locked) ::_exit(1);
  ::close(STDOUT_FILENO);  // a test runner's pipe must not wait for this process
  ::close(STDERR_FILENO);
  for (;;) ::pause();
}

// Kills and reaps the lock-byte holders however the test ends.
struct OldRuns {
  std::vector<pid_t> pids;
  void end() {
    for (pid_t pid : pids) {
      if (pid <= 0) continue;
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    pids.clear();
  }
  ~OldRuns() { end(); }
};

TEST_F(AdminPriorityTest, APreviousLayoutTableIsUpgradedOnlyOnceItsWaitersAreGoneWithNobodyOverTheLimit) {
  ASSERT_EQ(admin({"limit", "1"}).status, 0);  // creates the queue (today's layout)
  OldRuns old_runs;
  const pid_t old_holder = lock_byte_holder(queue_dir(), true, 0);
  const pid_t old_waiter_a = lock_byte_holder(queue_dir(), false, 3);
  const pid_t old_waiter_b = lock_byte_holder(queue_dir(), false, 7);
  old_runs.pids = {old_holder, old_waiter_a, old_waiter_b};
  ASSERT_GT(old_holder, 0);
  ASSERT_GT(old_waiter_a, 0);
  ASSERT_GT(old_waiter_b, 0);

  // The table as the previous version wrote it, over the file today's version created.
  layout_v1::Table old{};
  std::memset(static_cast<void*>(&old), 0, sizeof old);
  Table fresh{};
  initialize_table(fresh, 1, wall_ms());
  old.header = fresh.header;
  old.header.version = layout_v1::k_version;
  old.header.table_size = sizeof(layout_v1::Table);
  old.header.next_ticket = 10;
  layout_v1::SlotRecord& slot = old.slots[0];
  slot.state = RecordState::used;
  slot.pid = old_holder;
  slot.start_time = identify(old_holder)->start_time;
  slot.admitted_ms = wall_ms();
  set_text(slot.agent, "old-holder");
  layout_v1::seal(slot);
  int n = 0;
  for (auto [index, pid] : {std::pair{3, old_waiter_a}, std::pair{7, old_waiter_b}}) {
    layout_v1::WaiterRecord& w = old.waiters[index];
    w.state = RecordState::used;
    w.pid = pid;
    w.start_time = identify(pid)->start_time;
    w.ticket = static_cast<std::uint64_t>(5 + n++);
    w.since_ms = wall_ms();
    set_text(w.agent, "old-waiter");
    layout_v1::seal(w);
  }
  {
    const std::string table_path = queue_dir() + "/" + k_table_file;
    const int fd = ::open(table_path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, &old, sizeof old), static_cast<ssize_t>(sizeof old));
    ::close(fd);
  }

  // An older vq's waiters would refuse today's layout and run unqueued: while they wait, the
  // table keeps its layout and a new launch waits too.
  Process newcomer = start_waiter("new", with(k_limit_one, {{"FAKE_SLEEP_MS", "10"}}));
  sleep_for_ms(600);
  // vq-admin reads an older layout as a damaged table (exit 69) and repairs nothing.
  EXPECT_EQ(admin({"status", "--json"}).status, 69) << "upgraded under an older vq's waiters";
  EXPECT_FALSE(has_started("new")) << "admitted over the limit or past the old waiters";

  // Once they are gone (admitted or left), the next pass upgrades: the holder's record is kept.
  for (pid_t* waiter : {&old_runs.pids[1], &old_runs.pids[2]}) {
    ::kill(*waiter, SIGKILL);
    ::waitpid(*waiter, nullptr, 0);
    *waiter = 0;
  }
  ASSERT_TRUE(eventually([&] { return admin({"status", "--json"}).status == 0; }, 10s));
  const auto status = status_json();
  EXPECT_EQ(status["limit"], 1);
  ASSERT_EQ(status["active"].size(), 1u);
  EXPECT_EQ(status["active"][0]["pid"], old_holder);
  EXPECT_EQ(status["active"][0]["agent"], "old-holder");
  ASSERT_EQ(status["waiting"].size(), 1u) << status.dump(2);
  EXPECT_EQ(status["waiting"][0]["pid"], newcomer.pid());
  EXPECT_EQ(status["waiting"][0]["priority"], "normal");
  sleep_for_ms(300);
  EXPECT_FALSE(has_started("new")) << "admitted over the limit";

  old_runs.end();
  const auto end = newcomer.wait();
  ASSERT_TRUE(end);
  EXPECT_EQ(describe_status(*end), exited(0)) << newcomer.stderr_text();
}

}  // namespace
}  // namespace vq::mp
