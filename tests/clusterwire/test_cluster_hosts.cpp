// Issue 19 end to end: three simulated hosts (queue directories, VQ_CLUSTER_HOST=a|b|c) launch
// the real shim against one real redis-server; the fake vitest's records are the observer.
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "cluster_hosts.h"

namespace vq::mp {
namespace {

const char* const k_hosts[] = {"a", "b", "c"};

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
  return count;
}

TEST_F(ClusterHostsTest, SixtyLaunchesOnThreeHostsNeverExceedTheClusterLimitOfThree) {
  constexpr int k_launches = 60;
  std::vector<Process> runs;
  std::vector<std::string> ids;
  for (int i = 0; i < k_launches; ++i) {
    const std::string host = k_hosts[i % 3];
    ids.push_back(host + "-" + std::to_string(i));
    runs.emplace_back(host_launch(host, ids.back(), {{"FAKE_SLEEP_MS", "60"}}));
  }
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const auto status = runs[i].wait(60s);
    ASSERT_TRUE(status) << ids[i] << " hung";
    EXPECT_EQ(describe_status(*status), exited(0)) << ids[i] << ": " << runs[i].stderr_text();
    EXPECT_TRUE(ran_with_permit(ids[i]))
        << ids[i] << " ran without a cluster permit: " << runs[i].stderr_text();
  }
  const auto events = records();
  EXPECT_EQ(events.size(), 2u * k_launches);
  const int overlap = max_overlap(events);
  std::printf("[   INFO   ] 60 runs on 3 hosts at cluster limit 3: max overlap %d\n", overlap);
  EXPECT_LE(overlap, 3);
  // Local limits of 3 on each host would allow 9: the cluster limit is what holds it at 3.
  EXPECT_GE(overlap, 2);
}

TEST_F(ClusterHostsTest, AdmissionFollowsArrivalAtTheClusterQueueAcrossHosts) {
  m_limit = "1";
  Process holder(host_launch("a", "holder", {{"FAKE_SLEEP_MS", "30000"}}));
  ASSERT_TRUE(eventually([&] { return has_started("holder"); })) << holder.stderr_text();
  // Each joins once the one before is in the line ("waiting for the cluster queue" on stderr).
  std::vector<std::string> arrival;
  std::vector<Process> waiters;
  for (int i = 0; i < 6; ++i) {
    const std::string host = k_hosts[(i + 1) % 3];
    arrival.push_back(host + "-" + std::to_string(i));
    waiters.emplace_back(host_launch(host, arrival.back(), {{"FAKE_SLEEP_MS", "50"}}));
    Process& waiter = waiters.back();
    ASSERT_TRUE(eventually([&] {
      return waiter.stderr_text().find("waiting for the cluster queue") != std::string::npos;
    })) << waiter.stderr_text();
  }
  holder.send(SIGTERM);  // dies by it: the fake records no end line
  for (auto& waiter : waiters) ASSERT_TRUE(waiter.wait(30s));
  std::vector<RecordEvent> waited;
  for (const RecordEvent& event : records()) {
    if (event.id != "holder") waited.push_back(event);
  }
  EXPECT_EQ(start_order(waited), arrival);
  EXPECT_LE(max_overlap(waited), 1);
}

TEST_F(ClusterHostsTest, ALeaseKeptByVqWatchOutlivesTheTtlEvenWithVqWatchOff) {
  m_limit = "1";
  Process holder(host_launch("a", "holder", {{"FAKE_SLEEP_MS", "3500"}, {"VQ_WATCH", "0"}}));
  ASSERT_TRUE(eventually([&] { return has_started("holder"); })) << holder.stderr_text();
  Process waiter(host_launch("b", "waiter"));
  ASSERT_TRUE(holder.wait(30s));
  ASSERT_TRUE(waiter.wait(30s));
  auto held_until = find_event(records(), RecordEvent::Kind::end, "holder");
  auto admitted_at = find_event(records(), RecordEvent::Kind::start, "waiter");
  ASSERT_TRUE(held_until && admitted_at);
  // Three TTLs long: without renewals the waiter would have been admitted after one.
  EXPECT_GT(admitted_at->ns, held_until->ns) << "admitted while the lease was still kept";
  EXPECT_EQ(permit_in_history(holder.pid()), "<none>") << "VQ_WATCH=0 records nothing";
}

TEST_F(ClusterHostsTest, AStoppedLeaseKeeperLosesThePermitAndTheRunGoesOn) {
  m_limit = "1";
  Process first(host_launch("a", "first", {{"FAKE_SLEEP_MS", "5000"}}));
  ASSERT_TRUE(eventually([&] { return has_started("first"); })) << first.stderr_text();
  pid_t keeper = watcher_of(first.pid());
  ASSERT_GT(keeper, 0) << "no vq-watch keeps the first run's permit";
  ASSERT_EQ(::kill(keeper, SIGSTOP), 0);
  Process second(host_launch("b", "second", {{"FAKE_SLEEP_MS", "6000"}}));
  // Admitted once the stopped keeper's lease (1 s) expired.
  ASSERT_TRUE(eventually([&] { return has_started("second"); }, 10s)) << second.stderr_text();
  Process third(host_launch("c", "third", {{"FAKE_SLEEP_MS", "50"}}));
  ::kill(keeper, SIGCONT);
  ASSERT_TRUE(first.wait(30s));
  EXPECT_EQ(describe_status(*first.status()), exited(0)) << "the run must go on";
  // The first run's release is stale: the second still holds the only permit.
  sleep_for_ms(300);
  EXPECT_FALSE(has_started("third")) << "a stale release admitted another run";
  EXPECT_EQ(recorded_permit(first.pid()), "lost");
  ASSERT_TRUE(second.wait(30s));
  ASSERT_TRUE(third.wait(30s));
  auto second_end = find_event(records(), RecordEvent::Kind::end, "second");
  auto third_start = find_event(records(), RecordEvent::Kind::start, "third");
  ASSERT_TRUE(second_end && third_start);
  EXPECT_GT(third_start->ns, second_end->ns) << "two live permits at cluster limit 1";
  EXPECT_EQ(recorded_permit(second.pid()), "held");
}

TEST_F(ClusterHostsTest, ADeadHostsPermitsFreeWithinAboutOneTtl) {
  m_limit = "1";
  Process doomed(host_launch("a", "doomed", {{"FAKE_SLEEP_MS", "30000"}}));
  ASSERT_TRUE(eventually([&] { return has_started("doomed"); })) << doomed.stderr_text();
  pid_t keeper = watcher_of(doomed.pid());
  ASSERT_GT(keeper, 0);
  Process waiter(host_launch("b", "waiter", {{"FAKE_SLEEP_MS", "50"}}));
  ASSERT_TRUE(eventually([&] {
    return waiter.stderr_text().find("waiting for the cluster queue") != std::string::npos;
  })) << waiter.stderr_text();
  // Host a dies: its run and the run's keeper at once.
  const auto killed_at = monotonic_ns();
  ::kill(keeper, SIGKILL);
  doomed.send(SIGKILL);
  ASSERT_TRUE(eventually([&] { return has_started("waiter"); }, 10s)) << waiter.stderr_text();
  const auto freed_ms =
      (find_event(records(), RecordEvent::Kind::start, "waiter")->ns - killed_at) / 1'000'000;
  std::printf("[   INFO   ] a dead host's permit freed after %lld ms (TTL 1000 ms)\n",
              static_cast<long long>(freed_ms));
  EXPECT_LT(freed_ms, 2500);
}

TEST_F(ClusterHostsTest, AnUnreachableEngineAtLaunchWarnsOnceAndRunsLocalOnly) {
  m_url = "redis://127.0.0.1:" + std::to_string(test::free_loopback_port()) + "/0";
  Process run(host_launch("a", "run"));
  ASSERT_TRUE(run.wait(30s));
  EXPECT_EQ(describe_status(*run.status()), exited(0)) << run.stderr_text();
  EXPECT_TRUE(has_started("run"));
  EXPECT_FALSE(ran_with_permit("run"));
  EXPECT_EQ(count_of(run.stderr_text(), "vq: warning:"), 1u) << run.stderr_text();
  EXPECT_NE(run.stderr_text().find("VQ_CLUSTER"), std::string::npos) << run.stderr_text();
  EXPECT_EQ(recorded_permit(run.pid()), "local-only");

  Process refused(host_launch("a", "refused", {{"VQ_FAIL_CLOSED", "1"}}));
  ASSERT_TRUE(refused.wait(30s));
  EXPECT_EQ(describe_status(*refused.status()), exited(69)) << refused.stderr_text();
  EXPECT_FALSE(has_started("refused"));
}

TEST_F(ClusterHostsTest, ATimedOutClusterWaiterLeavesTheLine) {
  m_limit = "1";
  Process holder(host_launch("a", "holder", {{"FAKE_SLEEP_MS", "2500"}}));
  ASSERT_TRUE(eventually([&] { return has_started("holder"); })) << holder.stderr_text();
  Process quitter(host_launch("b", "quitter", {{"VQ_QUEUE_TIMEOUT", "0.5"}}));
  ASSERT_TRUE(quitter.wait(30s));
  EXPECT_EQ(describe_status(*quitter.status()), exited(75)) << quitter.stderr_text();
  Process behind(host_launch("c", "behind", {{"FAKE_SLEEP_MS", "50"}}));
  ASSERT_TRUE(holder.wait(30s));
  const auto released_at = find_event(records(), RecordEvent::Kind::end, "holder")->ns;
  ASSERT_TRUE(behind.wait(30s));
  EXPECT_FALSE(has_started("quitter"));
  const auto handoff_ms =
      (find_event(records(), RecordEvent::Kind::start, "behind")->ns - released_at) / 1'000'000;
  EXPECT_LT(handoff_ms, 1500) << "the gone waiter held up the line";
}

TEST_F(ClusterHostsTest, ServerKilledMidStormAndRestartedEmptyKeepsTheLiveSideWithinTheLimit) {
  constexpr int k_launches = 18;
  std::vector<Process> runs;
  for (int i = 0; i < k_launches; ++i) {
    const std::string host = k_hosts[i % 3];
    runs.emplace_back(
        host_launch(host, host + "-" + std::to_string(i), {{"FAKE_SLEEP_MS", "400"}}));
  }
  ASSERT_TRUE(eventually([&] { return records().size() >= 4; })) << "no run started";
  m_server->kill_hard();
  sleep_for_ms(300);
  ASSERT_TRUE(m_server->restart()) << "redis-server did not restart";
  for (auto& run : runs) {
    const auto status = run.wait(60s);
    ASSERT_TRUE(status);
    EXPECT_EQ(describe_status(*status), exited(0)) << run.stderr_text();
  }
  EXPECT_EQ(records().size(), 2u * k_launches) << "every launch runs (some local-only)";
  const int live_overlap = max_overlap(permit_records());
  std::printf(
      "[   INFO   ] server killed and restarted empty mid-storm: %zu of %d runs had a "
      "permit, max overlap among them %d\n",
      permit_records().size() / 2, k_launches, live_overlap);
  EXPECT_LE(live_overlap, 3);
}

TEST_F(ClusterHostsTest, ThePerAgentCapHoldsAcrossHosts) {
  // Cluster limit 3, but one explicit agent on two hosts with VQ_PER_AGENT=1: one at a time.
  std::vector<Process> runs;
  for (int i = 0; i < 4; ++i) {
    const std::string host = k_hosts[i % 2];
    runs.emplace_back(
        host_launch(host, host + "-" + std::to_string(i),
                    {{"FAKE_SLEEP_MS", "150"}, {"VQ_AGENT_ID", "ci-7"}, {"VQ_PER_AGENT", "1"}}));
  }
  for (auto& run : runs) ASSERT_TRUE(run.wait(30s));
  EXPECT_EQ(records().size(), 8u);
  EXPECT_EQ(max_overlap(records()), 1) << read_file(record_path());
}

}  // namespace
// A waiter's watcher rides out a server outage shorter than the TTL in the line instead of
// going local-only at the first error and starting next to the holder.
TEST_F(ClusterHostsTest, AWaiterKeepsItsPlaceThroughAShortOutage) {
  m_limit = "1";
  m_ttl = "2";
  Process first(host_launch("a", "first", {{"FAKE_SLEEP_MS", "4000"}}));
  ASSERT_TRUE(eventually([&] { return has_started("first"); })) << first.stderr_text();
  Process second(host_launch("b", "second", {{"FAKE_SLEEP_MS", "50"}}));
  sleep_for_ms(500);  // second is in the line
  m_server->kill_hard();
  sleep_for_ms(700);
  ASSERT_TRUE(m_server->restart());
  ASSERT_TRUE(first.wait(30s));
  ASSERT_TRUE(second.wait(30s));
  auto first_end = find_event(records(), RecordEvent::Kind::end, "first");
  auto second_start = find_event(records(), RecordEvent::Kind::start, "second");
  ASSERT_TRUE(first_end && second_start);
  EXPECT_GT(second_start->ns, first_end->ns)
      << "the waiter went local-only and ran next to the holder: " << second.stderr_text();
}

}  // namespace vq::mp
