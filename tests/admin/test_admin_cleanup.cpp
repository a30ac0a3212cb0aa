// `vq-admin cleanup` removes exactly the records of dead holders and waiters, never a live one,
// while the queue is busy.
#include <signal.h>

#include <set>
#include <string>

#include "admin_harness.h"

namespace vq::mp {
namespace {

using AdminCleanupTest = AdminTest;

std::set<int> pids_of(const nlohmann::json& list) {
  std::set<int> pids;
  for (const auto& entry : list) pids.insert(entry.at("pid").get<int>());
  return pids;
}

TEST_F(AdminCleanupTest, RemovesExactlyTheRecordsOfKilledHoldersAndWaitersAndNoLiveOne) {
  const Env limit2{{"VQ_MAX_PROCESSES", "2"}, {"FAKE_SLEEP_MS", "30000"}};
  const Env quick{{"FAKE_SLEEP_MS", "10"}};
  Process live_holder = start_holder("live-holder", limit2);
  Process dead_holder = start_holder("dead-holder", limit2);
  Process live_waiter = start_waiter("live-waiter", quick);
  Process dead_waiter = start_waiter("dead-waiter", quick);
  Process stopped_waiter = start_waiter("stopped-waiter", quick);

  // Live waiters rescan and would tidy dead records themselves; stop them, so the records stay
  // for cleanup. A stopped waiter is alive: it must survive cleanup.
  live_waiter.send(SIGSTOP);
  stopped_waiter.send(SIGSTOP);
  ASSERT_TRUE(eventually([&] {
    return process_state(live_waiter.pid()) == 'T' && process_state(stopped_waiter.pid()) == 'T';
  }));
  dead_holder.send(SIGKILL);
  dead_waiter.send(SIGKILL);
  ASSERT_TRUE(dead_holder.wait());
  ASSERT_TRUE(dead_waiter.wait());

  const nlohmann::json before = status_json();
  // Both died: their records are ended ones, nothing stale.
  EXPECT_EQ(pids_of(before["ended"]), (std::set<int>{dead_holder.pid(), dead_waiter.pid()}))
      << before.dump(2);
  EXPECT_TRUE(before["stale"].empty()) << before.dump(2);

  const AdminResult result = admin({"cleanup"});
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_NE(result.out.find("Removed 2 stale records"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("PID " + std::to_string(dead_holder.pid())), std::string::npos);
  EXPECT_NE(result.out.find("PID " + std::to_string(dead_waiter.pid())), std::string::npos);
  for (const Process* live : {&live_holder, &live_waiter, &stopped_waiter}) {
    EXPECT_EQ(result.out.find("PID " + std::to_string(live->pid())), std::string::npos)
        << "cleanup removed a live process's record: " << result.out;
  }

  const nlohmann::json after = status_json();
  EXPECT_TRUE(after["stale"].empty()) << after.dump(2);
  EXPECT_TRUE(after["ended"].empty()) << after.dump(2);
  EXPECT_EQ(pids_of(after["active"]), (std::set<int>{live_holder.pid()}));
  EXPECT_EQ(pids_of(after["waiting"]), (std::set<int>{live_waiter.pid(), stopped_waiter.pid()}));

  // And the waiters that cleanup left alone still get their turn.
  live_waiter.send(SIGCONT);
  stopped_waiter.send(SIGCONT);
  for (Process* waiter : {&live_waiter, &stopped_waiter}) {
    const auto status = waiter->wait();
    ASSERT_TRUE(status);
    EXPECT_EQ(describe_status(*status), exited(0)) << waiter->stderr_text();
  }
  // Those two finished after their runs, leaving records for cleanup; the holder lives on.
  const AdminResult again = admin({"cleanup"});
  EXPECT_EQ(again.status, 0);
  EXPECT_EQ(again.out.find("PID " + std::to_string(live_holder.pid())), std::string::npos)
      << again.out;
  EXPECT_EQ(pids_of(status_json()["active"]), (std::set<int>{live_holder.pid()}));
  const AdminResult third = admin({"cleanup"});
  EXPECT_NE(third.out.find("Nothing to clean up"), std::string::npos) << third.out;
}

}  // namespace
}  // namespace vq::mp
