// Leases: a permit whose lease ran out is gone (a stale release or renewal changes nothing and
// is counted), a dead host's permits and tickets free within about one TTL, and a server
// restarted empty lets the live holders re-register before it admits anyone new.
#include <fcntl.h>
#include <gtest/gtest.h>

#include "cluster_test_support.h"

using namespace vq;
using namespace vq::test;
using namespace std::chrono_literals;

namespace {}  // namespace

TEST(ClusterLeases, ReleaseAndRenewAfterExpiryChangeNothingAndAreCounted) {
  if (!RedisServer::available()) GTEST_SKIP() << "redis-server is not installed";
  auto server = start_server();
  ASSERT_TRUE(server);
  auto settings = settings_for(*server, 1, 1);
  auto a = joined(settings, "a");
  auto permit_a = wait_for_permit(a.queue, a.ticket, 5s);
  ASSERT_TRUE(permit_a);
  std::this_thread::sleep_for(1300ms);  // past a's lease: nobody renewed it
  auto b = joined(settings, "b");
  auto permit_b = wait_for_permit(b.queue, b.ticket, 5s);
  ASSERT_TRUE(permit_b) << "a's expired permit was reclaimed for b";
  EXPECT_NE(permit_a->token, permit_b->token);

  ASSERT_TRUE(a.queue.release(*permit_a));
  auto renewal = a.queue.renew(*permit_a);
  ASSERT_TRUE(renewal);
  EXPECT_EQ(*renewal, cluster::Renewal::lost);

  auto snapshot = b.queue.snapshot();
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  ASSERT_EQ(snapshot->holders.size(), 1u) << "a's stale release freed nothing";
  EXPECT_EQ(snapshot->holders[0].token, permit_b->token);
  EXPECT_EQ(snapshot->holders[0].member.agent, "b");
  EXPECT_EQ(snapshot->permits_lost, 1u);
  EXPECT_EQ(snapshot->stale_requests, 2u);
  auto still = b.queue.renew(*permit_b);
  ASSERT_TRUE(still);
  EXPECT_EQ(*still, cluster::Renewal::renewed);
}

TEST(ClusterLeases, ADeadHoldersPermitFreesWithinAboutOneTtl) {
  if (!RedisServer::available()) GTEST_SKIP() << "redis-server is not installed";
  auto server = start_server();
  ASSERT_TRUE(server);
  auto settings = settings_for(*server, 1, 1);
  int report[2];
  ASSERT_EQ(::pipe2(report, O_CLOEXEC), 0);
  pid_t host = spawn([&] {
    auto run = joined(settings, "doomed");
    if (!wait_for_permit(run.queue, run.ticket, 10s)) return 10;
    write_line(report[1], "admitted");
    ::pause();  // killed here, holding the permit, never releasing it
    return 0;
  });
  ::close(report[1]);
  ASSERT_EQ(read_line(report[0]), "admitted");
  ::kill(host, SIGKILL);
  EXPECT_EQ(exit_status_of(host), 128 + SIGKILL);
  auto killed_at = std::chrono::steady_clock::now();

  auto next = joined(settings, "next");
  auto permit = wait_for_permit(next.queue, next.ticket, 10s);
  auto waited = std::chrono::steady_clock::now() - killed_at;
  ASSERT_TRUE(permit);
  // The lease (1 s) runs out, then the waiter's next heartbeat (every TTL/3) reclaims it.
  EXPECT_LT(waited, 2500ms);
  auto snapshot = next.queue.snapshot();
  ASSERT_TRUE(snapshot);
  EXPECT_EQ(snapshot->permits_lost, 1u);
  ::close(report[0]);
}

TEST(ClusterLeases, ADeadWaiterStopsBlockingTheLine) {
  if (!RedisServer::available()) GTEST_SKIP() << "redis-server is not installed";
  auto server = start_server();
  ASSERT_TRUE(server);
  auto settings = settings_for(*server, 1, 1);
  auto holder = joined(settings, "holder");
  auto permit = wait_for_permit(holder.queue, holder.ticket, 5s);
  ASSERT_TRUE(permit);
  int report[2];
  ASSERT_EQ(::pipe2(report, O_CLOEXEC), 0);
  pid_t dead = spawn([&] {
    auto run = joined(settings, "dead-waiter");
    write_line(report[1], "joined");
    ::pause();
    return 0;
  });
  ::close(report[1]);
  ASSERT_EQ(read_line(report[0]), "joined");
  ::kill(dead, SIGKILL);
  exit_status_of(dead);
  auto behind = joined(settings, "behind");
  // The live ones keep beating until the dead waiter's heartbeat has expired.
  for (int beat = 0; beat < 3; ++beat) {
    std::this_thread::sleep_for(400ms);
    ASSERT_TRUE(holder.queue.renew(*permit));
    auto turn = behind.queue.wait_turn(behind.ticket, 0ms);
    ASSERT_TRUE(turn);
    EXPECT_FALSE(turn->permit);
  }
  ASSERT_TRUE(holder.queue.release(*permit));
  auto next = wait_for_permit(behind.queue, behind.ticket, 1s);
  EXPECT_TRUE(next) << "the permit went to the waiter behind the dead one, at once";
  ::close(report[0]);
}

namespace {

// A run on another host: holds its permit and renews it every TTL/3 as a keeper does, reporting
// each renewal's outcome, until the test closes its command pipe; then it releases.
int keeper(const cluster::ClusterSettings& settings, int report_fd, int command_fd) {
  auto run = joined(settings, "keeper");
  auto permit = wait_for_permit(run.queue, run.ticket, 10s);
  if (!permit) return 10;
  write_line(report_fd, "admitted");
  for (;;) {
    std::string command = read_line(command_fd, settings.ttl / 3);
    if (command == "release") break;
    auto renewal = run.queue.renew(*permit);
    if (!renewal) continue;  // the server is down: keep the run going and try again
    if (*renewal == cluster::Renewal::reregistered) write_line(report_fd, "reregistered");
    if (*renewal == cluster::Renewal::lost) write_line(report_fd, "lost");
  }
  return run.queue.release(*permit) ? 0 : 11;
}

}  // namespace

TEST(ClusterLeases, RestartedEmptyTheHoldersReRegisterBeforeAnyoneNewIsAdmitted) {
  if (!RedisServer::available()) GTEST_SKIP() << "redis-server is not installed";
  auto server = start_server();
  ASSERT_TRUE(server);
  auto settings = settings_for(*server, 1, 1);
  int report[2], command[2];
  ASSERT_EQ(::pipe2(report, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(command, O_CLOEXEC), 0);
  pid_t host = spawn([&] {
    ::close(command[1]);  // so that the test's closing it reads as EOF here
    return keeper(settings, report[1], command[0]);
  });
  ::close(report[1]);
  ::close(command[0]);
  ASSERT_EQ(read_line(report[0]), "admitted");

  auto restarted = server->restart();
  ASSERT_TRUE(restarted) << restarted.error().message;
  // At once, before the keeper's next renewal: without the grace period this joiner would
  // find an empty queue with room and be admitted next to the keeper's run.
  auto newcomer = joined(settings, "newcomer");
  auto early = wait_for_permit(newcomer.queue, newcomer.ticket, 2500ms);
  EXPECT_FALSE(early) << "admitted while the keeper's permit was being re-registered";
  EXPECT_EQ(read_line(report[0], 100ms), "reregistered");

  auto snapshot = newcomer.queue.snapshot();
  ASSERT_TRUE(snapshot);
  ASSERT_EQ(snapshot->holders.size(), 1u);
  EXPECT_EQ(snapshot->holders[0].member.agent, "keeper");
  ASSERT_EQ(snapshot->waiters.size(), 1u);

  write_line(command[1], "release");
  EXPECT_EQ(exit_status_of(host), 0);
  EXPECT_TRUE(wait_for_permit(newcomer.queue, newcomer.ticket, 3s));
  ::close(report[0]);
  ::close(command[1]);
}

TEST(ClusterLeases, AWaiterFromBeforeARestartKeepsItsPlaceAheadOfNewcomers) {
  if (!RedisServer::available()) GTEST_SKIP() << "redis-server is not installed";
  auto server = start_server();
  ASSERT_TRUE(server);
  auto settings = settings_for(*server, 1, 1);
  auto holder = joined(settings, "holder");
  auto permit = wait_for_permit(holder.queue, holder.ticket, 5s);
  ASSERT_TRUE(permit);
  auto early = joined(settings, "early");
  ASSERT_TRUE(early.queue.wait_turn(early.ticket, 0ms));

  ASSERT_TRUE(server->restart());
  auto late = joined(settings, "late");
  EXPECT_GT(late.ticket, early.ticket) << "a newcomer's ticket is above the earlier epoch's";
  // The first call of each after the restart may find its connection gone; the next reconnects.
  for (int beat = 0; beat < 6; ++beat) {
    std::this_thread::sleep_for(200ms);
    (void)holder.queue.renew(*permit);
    (void)early.queue.wait_turn(early.ticket, 0ms);
    (void)late.queue.wait_turn(late.ticket, 0ms);
  }
  auto snapshot = late.queue.snapshot();
  ASSERT_TRUE(snapshot);
  ASSERT_EQ(snapshot->holders.size(), 1u);
  EXPECT_EQ(snapshot->holders[0].token, permit->token) << "re-registered under its own token";
  std::vector<std::string> line;
  for (const auto& waiter : snapshot->waiters) line.push_back(waiter.member.agent);
  EXPECT_EQ(line, (std::vector<std::string>{"early", "late"}));
  ASSERT_TRUE(holder.queue.release(*permit));
  EXPECT_TRUE(wait_for_permit(early.queue, early.ticket, 2s));
  auto late_turn = late.queue.wait_turn(late.ticket, 0ms);
  ASSERT_TRUE(late_turn);
  EXPECT_FALSE(late_turn->permit);
}

// A keeper reconnects with a fresh ClusterQueue after any error: what it re-registers, and the
// epoch it re-registered in, must come with the permit, not with the queue that admitted it.
TEST(ClusterLeases, AReconnectedKeeperReRegistersTheMemberAndLaterLosesAnExpiredPermit) {
  if (!RedisServer::available()) GTEST_SKIP() << "redis-server is not installed";
  auto server = start_server();
  ASSERT_TRUE(server);
  auto settings = settings_for(*server, 1, 2);
  auto a = joined(settings, "a");
  auto permit = wait_for_permit(a.queue, a.ticket, 3s);
  ASSERT_TRUE(permit);

  ASSERT_TRUE(server->restart());
  auto fresh = cluster::ClusterQueue::connect(settings);
  ASSERT_TRUE(fresh) << fresh.error().message;
  auto renewal = fresh->renew(*permit);
  ASSERT_TRUE(renewal) << renewal.error().message;
  ASSERT_EQ(*renewal, cluster::Renewal::reregistered);
  auto snapshot = fresh->snapshot();
  ASSERT_TRUE(snapshot);
  ASSERT_EQ(snapshot->holders.size(), 1u);
  EXPECT_EQ(snapshot->holders[0].member.agent, "a") << "re-registered with empty member fields";
  EXPECT_EQ(snapshot->holders[0].member.command, "vitest run");

  // b keeps renewing (so this is no stall) while a's re-registered lease runs out; the limit
  // has room, so only the epoch tells a loss in this epoch from a permit of the one before.
  auto b = joined(settings, "b");
  auto permit_b = wait_for_permit(b.queue, b.ticket, 3s);
  ASSERT_TRUE(permit_b);
  for (int beat = 0; beat < 5; ++beat) {
    std::this_thread::sleep_for(300ms);
    ASSERT_TRUE(b.queue.renew(*permit_b));
  }
  auto again = cluster::ClusterQueue::connect(settings);
  ASSERT_TRUE(again) << again.error().message;
  auto late = again->renew(*permit);
  ASSERT_TRUE(late) << late.error().message;
  EXPECT_EQ(*late, cluster::Renewal::lost) << "an expiry in the new epoch re-registered again";
}
