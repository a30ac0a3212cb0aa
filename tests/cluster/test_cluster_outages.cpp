// Outages the server survives with its keys: a restart that loads an old dump.rdb (save points,
// no appendonly) and a stall longer than a lease. Neither may hand a live run's permit, ticket
// or token to someone else.
#include <gtest/gtest.h>
#include <signal.h>

#include "cluster_test_support.h"
#include "redis_connection.h"

using namespace vq;
using namespace vq::test;
using namespace std::chrono_literals;

namespace {

// What the server's save points would do: write dump.rdb now, loaded again at its next start.
void save_dump(const cluster::ClusterSettings& settings) {
  auto connection = cluster::RedisConnection::open(settings);
  ASSERT_TRUE(connection) << connection.error().message;
  auto saved = (*connection)->command({"SAVE"});
  ASSERT_TRUE(saved) << saved.error().message;
  ASSERT_FALSE(saved->is_error()) << saved->text;
}

// The first call after a restart may find its connection gone; the next reconnects.
Result<cluster::Renewal> renew_through_reconnect(cluster::ClusterQueue& queue,
                                                 cluster::Permit& permit) {
  auto renewal = queue.renew(permit);
  for (int attempt = 0; !renewal && attempt < 3; ++attempt) renewal = queue.renew(permit);
  return renewal;
}

}  // namespace

TEST(ClusterOutages, ARestartFromAnOldDumpStartsANewEpochAndLetsTheHolderReRegister) {
  if (!RedisServer::available()) GTEST_SKIP() << "redis-server is not installed";
  auto server = start_server();
  ASSERT_TRUE(server);
  auto settings = settings_for(*server, 1, 1);
  auto first = cluster::ClusterQueue::connect(settings);
  ASSERT_TRUE(first && first->snapshot());  // the queue exists, with its epoch, in the dump
  save_dump(settings);
  auto a = joined(settings, "a");
  auto permit_a = wait_for_permit(a.queue, a.ticket, 3s);
  ASSERT_TRUE(permit_a);

  ASSERT_TRUE(server->restart());  // kill -9: dump.rdb from before a joined comes back
  auto renewal = renew_through_reconnect(a.queue, *permit_a);
  ASSERT_TRUE(renewal) << renewal.error().message;
  EXPECT_EQ(*renewal, cluster::Renewal::reregistered)
      << "the old dump's epoch was taken as current";
  auto b = joined(settings, "b");
  EXPECT_GT(b.ticket, a.ticket) << "the ticket counter went back with the dump";
  auto turn = b.queue.wait_turn(b.ticket, 300ms);
  ASSERT_TRUE(turn) << turn.error().message;
  EXPECT_FALSE(turn->permit) << "b admitted next to a at limit 1, token "
                             << (turn->permit ? turn->permit->token : 0) << " (a's "
                             << permit_a->token << ")";
  auto snapshot = b.queue.snapshot();
  ASSERT_TRUE(snapshot);
  ASSERT_EQ(snapshot->holders.size(), 1u);
  EXPECT_EQ(snapshot->holders[0].token, permit_a->token);
  EXPECT_EQ(snapshot->holders[0].member.agent, "a");
}

TEST(ClusterOutages, AStallLongerThanALeaseCostsNoLiveHolderItsPermit) {
  if (!RedisServer::available()) GTEST_SKIP() << "redis-server is not installed";
  auto server = start_server();
  ASSERT_TRUE(server);
  auto settings = settings_for(*server, 1, 1);
  auto a = joined(settings, "a");
  auto permit_a = wait_for_permit(a.queue, a.ticket, 3s);
  ASSERT_TRUE(permit_a);
  auto b = joined(settings, "b");
  ASSERT_TRUE(b.queue.wait_turn(b.ticket, 0ms));

  ::kill(server->pid(), SIGSTOP);  // a stalled server (swapping, a fork for a dump, a VM pause)
  std::this_thread::sleep_for(1500ms);
  ::kill(server->pid(), SIGCONT);
  // The waiter's heartbeat and a newcomer come first: neither may take a's place.
  auto turn = b.queue.wait_turn(b.ticket, 0ms);
  EXPECT_TRUE(turn && !turn->permit)
      << (turn ? "b admitted in a's place after the stall" : turn.error().message);
  auto c = joined(settings, "c");
  auto c_turn = c.queue.wait_turn(c.ticket, 0ms);
  ASSERT_TRUE(c_turn) << c_turn.error().message;
  EXPECT_FALSE(c_turn->permit) << "a newcomer admitted in a's place after the stall";
  auto renewal = a.queue.renew(*permit_a);
  ASSERT_TRUE(renewal) << renewal.error().message;
  EXPECT_EQ(*renewal, cluster::Renewal::renewed);
  auto snapshot = b.queue.snapshot();
  ASSERT_TRUE(snapshot);
  ASSERT_EQ(snapshot->holders.size(), 1u);
  EXPECT_EQ(snapshot->holders[0].member.agent, "a");
  EXPECT_EQ(snapshot->permits_lost, 0u);
  EXPECT_EQ(snapshot->waiters.size(), 2u) << "b's heartbeat ran out in the stall";
}

TEST(ClusterOutages, TheWarningSaysWhenARestartWouldLoadAnOldDump) {
  if (!RedisServer::available()) GTEST_SKIP() << "redis-server is not installed";
  auto server = start_server();
  ASSERT_TRUE(server);
  auto settings = settings_for(*server, 1, 1);
  auto connection = cluster::RedisConnection::open(settings);
  ASSERT_TRUE(connection) << connection.error().message;
  ASSERT_TRUE((*connection)->command({"CONFIG", "SET", "save", "3600 1 300 100"}));
  auto queue = cluster::ClusterQueue::connect(settings);
  ASSERT_TRUE(queue) << queue.error().message;
  auto warning = queue->persistence_warning();
  ASSERT_TRUE(warning);
  EXPECT_NE(warning->find("loads an old dump.rdb"), std::string::npos) << *warning;
  auto facts = queue->server_facts();
  ASSERT_TRUE(facts) << facts.error().message;
  EXPECT_TRUE(facts->saves_dumps);
}

// BLPOP takes the permit off the wake list; a reply lost on the way (a partition shorter than
// the TTL, a timeout) must not leave the waiter without the permit held in its name.
TEST(ClusterOutages, AWaiterThatLostItsWakeUpLearnsItsPermitFromTheNextHeartbeat) {
  if (!RedisServer::available()) GTEST_SKIP() << "redis-server is not installed";
  auto server = start_server();
  ASSERT_TRUE(server);
  auto settings = settings_for(*server, 1, 1);
  auto a = joined(settings, "a");
  auto permit_a = wait_for_permit(a.queue, a.ticket, 3s);
  ASSERT_TRUE(permit_a);
  auto b = joined(settings, "b");
  ASSERT_TRUE(b.queue.wait_turn(b.ticket, 0ms));
  ASSERT_TRUE(a.queue.release(*permit_a));  // admits b: its permit is on its wake list

  auto thief = cluster::RedisConnection::open(settings);
  ASSERT_TRUE(thief) << thief.error().message;
  auto popped =
      (*thief)->command({"LPOP", "{vq:" + settings.queue + "}:wake:" + std::to_string(b.ticket)});
  ASSERT_TRUE(popped && popped->type == cluster::Reply::Type::string) << "b was not admitted";

  auto turn = b.queue.wait_turn(b.ticket, 0ms);
  ASSERT_TRUE(turn) << turn.error().message;
  ASSERT_TRUE(turn->permit);
  EXPECT_EQ(std::to_string(turn->permit->token) + " " + turn->permit->epoch, popped->text);
  ASSERT_TRUE(b.queue.release(*turn->permit));
  auto snapshot = b.queue.snapshot();
  ASSERT_TRUE(snapshot);
  EXPECT_EQ(snapshot->holders.size(), 0u);
}

TEST(ClusterOutages, AWaitersFirstHeartbeatAfterARestartKeepsItsPlace) {
  if (!RedisServer::available()) GTEST_SKIP() << "redis-server is not installed";
  auto server = start_server();
  ASSERT_TRUE(server);
  auto settings = settings_for(*server, 1, 1);
  auto a = joined(settings, "a");
  ASSERT_TRUE(wait_for_permit(a.queue, a.ticket, 3s));
  auto b = joined(settings, "b");
  ASSERT_TRUE(b.queue.wait_turn(b.ticket, 0ms));
  ASSERT_TRUE(server->restart());
  auto turn = b.queue.wait_turn(b.ticket, 0ms);
  ASSERT_TRUE(turn) << "one broken connection ended the wait: " << turn.error().message;
  auto snapshot = b.queue.snapshot();
  ASSERT_TRUE(snapshot);
  ASSERT_EQ(snapshot->waiters.size(), 1u);
  EXPECT_EQ(snapshot->waiters[0].member.agent, "b");
  EXPECT_EQ(snapshot->waiters[0].ticket, b.ticket) << "the snapshot names the waiter's ticket";
}

TEST(ClusterOutages, ARestartEmptyKeepsALowerClusterLimitAndTheLongestRegistrantsGrace) {
  if (!RedisServer::available()) GTEST_SKIP() << "redis-server is not installed";
  auto server = start_server();
  ASSERT_TRUE(server);
  auto settings = settings_for(*server, 1, 3);  // this host's settings seed 3
  auto a = joined(settings, "a");
  auto permit = wait_for_permit(a.queue, a.ticket, 3s);
  ASSERT_TRUE(permit);
  ASSERT_TRUE(a.queue.set_limit(1));  // vq-admin limit --cluster 1
  ASSERT_TRUE(a.queue.renew(*permit));

  ASSERT_TRUE(server->restart());
  auto short_ttl = cluster::ClusterQueue::connect(settings);
  ASSERT_TRUE(short_ttl && short_ttl->snapshot());  // the first caller after it: TTL 1 s
  auto long_settings = settings;
  long_settings.ttl = 3s;
  auto keeper = cluster::ClusterQueue::connect(long_settings);
  ASSERT_TRUE(keeper) << keeper.error().message;
  auto renewal = keeper->renew(*permit);
  ASSERT_TRUE(renewal) << renewal.error().message;
  ASSERT_EQ(*renewal, cluster::Renewal::reregistered);
  auto snapshot = short_ttl->snapshot();
  ASSERT_TRUE(snapshot);
  EXPECT_EQ(snapshot->limit, 1) << "the restart forgot vq-admin limit --cluster";
  EXPECT_GT(snapshot->grace_until_ms - snapshot->server_time_ms, 2000)
      << "the grace is the first caller's TTL, not the registrant's";
}
