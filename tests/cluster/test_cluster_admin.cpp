// vq-admin against a real server: `limit --cluster N` changes the limit every host reads (seen
// with redis-cli, not through vq) and admits waiters at once; `doctor` checks the server.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>

#include "cluster_test_support.h"

using namespace vq;
using namespace vq::test;
using namespace std::chrono_literals;

namespace {

struct Outcome {
  int status = -1;
  std::string output;  // stdout and stderr
};

Outcome run_admin(const std::string& env, const std::string& args) {
  std::string command = "env -i PATH=/usr/bin:/bin HOME=/nonexistent VQ_QUEUE_DIR=/nonexistent/q " +
                        env + " " + VQ_ADMIN + " " + args + " 2>&1";
  Outcome outcome;
  FILE* pipe = ::popen(command.c_str(), "r");
  std::array<char, 512> buffer{};
  while (pipe != nullptr && std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) {
    outcome.output += buffer.data();
  }
  int status = pipe != nullptr ? ::pclose(pipe) : -1;
  outcome.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return outcome;
}

std::string server_value(const RedisServer& server, const std::string& key) {
  std::string command = "redis-cli -p " + std::to_string(server.port()) + " GET '" + key + "'";
  FILE* pipe = ::popen(command.c_str(), "r");
  std::array<char, 128> buffer{};
  std::string out;
  while (pipe != nullptr && std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) {
    out += buffer.data();
  }
  if (pipe != nullptr) ::pclose(pipe);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace

TEST(ClusterAdmin, LimitClusterChangesTheServersLimitAndAdmitsAWaiter) {
  if (!RedisServer::available()) GTEST_SKIP() << "redis-server is not installed";
  if (::system("command -v redis-cli >/dev/null") != 0) GTEST_SKIP() << "no redis-cli";
  auto server = RedisServer::start();
  ASSERT_TRUE(server) << server.error().message;
  auto settings = settings_for(**server, 1, 1);
  auto holder = cluster::ClusterQueue::connect(settings);
  ASSERT_TRUE(holder);
  auto held = holder->join(member_named("holder"));
  ASSERT_TRUE(held);
  auto permit = wait_for_permit(*holder, *held, 5s);
  ASSERT_TRUE(permit);
  auto waiter = cluster::ClusterQueue::connect(settings);
  ASSERT_TRUE(waiter);
  auto ticket = waiter->join(member_named("waiter"));
  ASSERT_TRUE(ticket);
  EXPECT_FALSE(wait_for_permit(*waiter, *ticket, 300ms));

  auto raised = run_admin("VQ_CLUSTER=" + (*server)->url(), "limit --cluster 2");
  EXPECT_EQ(raised.status, 0) << raised.output;
  EXPECT_NE(raised.output.find("changed from 1 to 2: waiters on every host are admitted now"),
            std::string::npos)
      << raised.output;
  EXPECT_EQ(server_value(**server, "{vq:default}:limit"), "2");
  auto turn = waiter->wait_turn(*ticket, 0ms);
  ASSERT_TRUE(turn);
  EXPECT_TRUE(turn->permit) << "the raise admitted the waiter before anyone else looked";

  auto same = run_admin("VQ_CLUSTER=" + (*server)->url(), "limit --cluster 2");
  EXPECT_NE(same.output.find("is already 2"), std::string::npos) << same.output;
  auto unset = run_admin("", "limit --cluster 2");
  EXPECT_EQ(unset.status, 78);
  EXPECT_NE(unset.output.find("VQ_CLUSTER is not set"), std::string::npos) << unset.output;
  auto refused = run_admin("VQ_CLUSTER=redis://127.0.0.1:" + std::to_string(free_loopback_port()),
                           "limit --cluster 2");
  EXPECT_EQ(refused.status, 69) << refused.output;
}

TEST(ClusterAdmin, DoctorChecksConnectionVersionClockAndPersistence) {
  if (!RedisServer::available()) GTEST_SKIP() << "redis-server is not installed";
  auto server = RedisServer::start(RedisOptions{"door", {}, false});
  ASSERT_TRUE(server) << server.error().message;
  auto good =
      run_admin("VQ_CLUSTER=" + (*server)->url(":door") + " VQ_CLUSTER_HOST=box-a", "doctor");
  EXPECT_EQ(good.status, 1) << "persistence off is a problem\n" << good.output;
  EXPECT_NE(
      good.output.find("ok    cluster connected and authenticated to redis://:***@127.0.0.1:"),
      std::string::npos)
      << good.output;
  EXPECT_NE(good.output.find("as host box-a"), std::string::npos) << good.output;
  EXPECT_NE(good.output.find("ok    server  Redis 7."), std::string::npos) << good.output;
  EXPECT_NE(good.output.find("ok    clock   server clock "), std::string::npos) << good.output;
  EXPECT_NE(good.output.find("FAIL  persist appendonly off"), std::string::npos) << good.output;
  EXPECT_EQ(good.output.find("door"), std::string::npos) << "the password is never shown";

  auto wrong = run_admin("VQ_CLUSTER=" + (*server)->url(":not-the-door"), "doctor");
  EXPECT_EQ(wrong.status, 1);
  EXPECT_NE(wrong.output.find("FAIL  cluster VQ_CLUSTER: the server at redis://127.0.0.1:"),
            std::string::npos)
      << wrong.output;
  EXPECT_NE(wrong.output.find("refused the password"), std::string::npos) << wrong.output;
  EXPECT_EQ(wrong.output.find("ok    server"), std::string::npos) << wrong.output;
}

TEST(ClusterAdmin, AStoppedServerIsUnavailableNotABadConfig) {
  if (!RedisServer::available()) GTEST_SKIP() << "redis-server is not installed";
  auto server = RedisServer::start();
  ASSERT_TRUE(server) << server.error().message;
  ::kill((*server)->pid(), SIGSTOP);
  auto stalled = run_admin("VQ_CLUSTER=" + (*server)->url(), "limit --cluster 2");
  auto doctor = run_admin("VQ_CLUSTER=" + (*server)->url(), "doctor");
  ::kill((*server)->pid(), SIGCONT);
  EXPECT_EQ(stalled.status, 69) << stalled.output;
  EXPECT_NE(stalled.output.find("cannot reach the Redis server"), std::string::npos)
      << stalled.output;
  EXPECT_EQ(stalled.output.find("not answer as a Redis server"), std::string::npos)
      << stalled.output;
  EXPECT_NE(doctor.output.find("FAIL  cluster VQ_CLUSTER: cannot reach the Redis server"),
            std::string::npos)
      << doctor.output;
  EXPECT_EQ(doctor.output.find("point VQ_CLUSTER at redis-server"), std::string::npos)
      << doctor.output;
}

TEST(ClusterAdmin, AUserWithoutAPasswordIsRefusedAsABadConfig) {
  if (!RedisServer::available()) GTEST_SKIP() << "redis-server is not installed";
  // No requirepass: the default user needs none, so without the check vq would get in as it.
  auto server = RedisServer::start();
  ASSERT_TRUE(server) << server.error().message;
  auto limit = run_admin("VQ_CLUSTER=" + (*server)->url("vq"), "limit --cluster 2");
  EXPECT_EQ(limit.status, 78) << limit.output;
  EXPECT_NE(limit.output.find("VQ_CLUSTER: user vq has no password"), std::string::npos)
      << limit.output;
  EXPECT_NE(limit.output.find("VQ_CLUSTER_PASSWORD_FILE"), std::string::npos) << limit.output;
  EXPECT_NE(limit.output.find("redis://vq:PASSWORD@host:port/db"), std::string::npos)
      << limit.output;
  if (::system("command -v redis-cli >/dev/null") == 0) {
    EXPECT_EQ(server_value(**server, "{vq:default}:limit"), "") << "nothing reached the server";
  }
  auto doctor = run_admin("VQ_CLUSTER=" + (*server)->url("vq"), "doctor");
  EXPECT_NE(doctor.status, 0) << doctor.output;
  EXPECT_EQ(doctor.output.find("connected and authenticated"), std::string::npos) << doctor.output;
  EXPECT_NE(doctor.output.find("user vq has no password"), std::string::npos) << doctor.output;
}
