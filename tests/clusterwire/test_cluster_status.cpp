// `vq-admin status` under VQ_CLUSTER (issue 19): the cluster section beside the local queue,
// read from the real vq-admin against simulated hosts and a real redis-server.
#include <signal.h>

#include <nlohmann/json.hpp>
#include <string>

#include "cluster_hosts.h"

namespace vq::mp {
namespace {

// `vq-admin status --json` as host `host` sees it.
nlohmann::json status_of(const ClusterHostsTest& test, const Env& env) {
  Launch launch;
  launch.program = VQ_ADMIN_PATH;
  launch.argv = {"vq-admin", "status", "--json"};
  launch.env = env;
  launch.stdout_path = test.tmp_path() + "/status.json";
  Process admin(launch);
  EXPECT_TRUE(admin.wait(20s));
  return nlohmann::json::parse(read_file(launch.stdout_path), nullptr, false);
}

TEST_F(ClusterHostsTest, StatusShowsTheClusterHoldersByHostWaitersInOrderAndEachPermit) {
  m_limit = "1";
  Process holder(host_launch("a", "holder", {{"FAKE_SLEEP_MS", "30000"}}));
  ASSERT_TRUE(eventually([&] { return has_started("holder"); })) << holder.stderr_text();
  Process waiter(host_launch("b", "waiter"));
  ASSERT_TRUE(eventually([&] {
    return waiter.stderr_text().find("waiting for the cluster queue") != std::string::npos;
  })) << waiter.stderr_text();
  // The keeper publishes its permit with its first sample (twice a second).
  nlohmann::json status;
  ASSERT_TRUE(eventually(
      [&] {
        status = status_of(*this, host_env("a"));
        return status.is_object() && status["active"].size() == 1 &&
               status["active"][0]["cluster_permit"] == "held";
      },
      10s))
      << status.dump(2);
  const nlohmann::json& cluster = status["cluster"];
  EXPECT_EQ(cluster["reachable"], true);
  EXPECT_EQ(cluster["degraded"], false);
  EXPECT_EQ(cluster["host"], "a");
  EXPECT_EQ(cluster["limit"], 1);
  EXPECT_EQ(cluster["url"].get<std::string>().find("***"), std::string::npos)
      << "no password given, none masked";
  ASSERT_EQ(cluster["holders"].size(), 1u) << cluster.dump(2);
  EXPECT_EQ(cluster["holders"][0]["host"], "a");
  EXPECT_EQ(cluster["holders"][0]["pid"], holder.pid());
  EXPECT_EQ(cluster["holders"][0]["permit"], "held");
  ASSERT_EQ(cluster["waiters"].size(), 1u) << cluster.dump(2);
  EXPECT_EQ(cluster["waiters"][0]["host"], "b");
  EXPECT_EQ(cluster["waiters"][0]["position"], 1);
  Launch text;
  text.program = VQ_ADMIN_PATH;
  text.argv = {"vq-admin", "status"};
  text.env = host_env("a");
  text.stdout_path = tmp_path() + "/status.txt";
  Process admin(text);
  ASSERT_TRUE(admin.wait(20s));
  const std::string shown = read_file(text.stdout_path);
  EXPECT_NE(shown.find("Cluster permit: held"), std::string::npos) << shown;
  EXPECT_NE(shown.find("Permits: 1/1"), std::string::npos) << shown;
  EXPECT_NE(shown.find("#1 b: PID " + std::to_string(waiter.pid())), std::string::npos) << shown;
  holder.send(SIGTERM);
  ASSERT_TRUE(waiter.wait(30s));
}

TEST_F(ClusterHostsTest, StatusSaysDegradedWhenTheServerIsUnreachable) {
  m_url = "redis://127.0.0.1:" + std::to_string(test::free_loopback_port()) + "/0";
  nlohmann::json status = status_of(*this, host_env("a"));
  ASSERT_TRUE(status.is_object());
  EXPECT_EQ(status["cluster"]["reachable"], false) << status.dump(2);
  EXPECT_EQ(status["cluster"]["degraded"], true);
  EXPECT_TRUE(status["cluster"]["error"].is_string());
  Env plain = host_env("a");
  plain.erase("VQ_CLUSTER");
  EXPECT_TRUE(status_of(*this, plain)["cluster"].is_null());
}

TEST_F(ClusterHostsTest, StatusSaysARunsPermitWasLostAfterItsKeeperStoppedPastTheTtl) {
  m_limit = "1";
  Process run(host_launch("a", "run", {{"FAKE_SLEEP_MS", "8000"}}));
  ASSERT_TRUE(eventually([&] { return has_started("run"); })) << run.stderr_text();
  pid_t keeper = watcher_of(run.pid());
  ASSERT_GT(keeper, 0);
  ASSERT_EQ(::kill(keeper, SIGSTOP), 0);
  // More than twice the 1 s TTL, with status asking meanwhile: a server that hears nobody for
  // that long cannot tell a stopped keeper from its own stall, and keeps the lease then.
  for (int ask = 0; ask < 8; ++ask) {
    (void)status_of(*this, host_env("a"));
    sleep_for_ms(300);
  }
  ::kill(keeper, SIGCONT);
  nlohmann::json status;
  ASSERT_TRUE(eventually(
      [&] {
        status = status_of(*this, host_env("a"));
        return status.is_object() && status["active"].size() == 1 &&
               status["active"][0]["cluster_permit"] == "lost";
      },
      10s))
      << status.dump(2);
  EXPECT_EQ(status["cluster"]["holders"].size(), 0u) << "the server no longer counts it";
  EXPECT_GE(status["cluster"]["permits_lost"].get<int>(), 1);
  EXPECT_FALSE(run.has_exited()) << "the run goes on";
}

TEST_F(ClusterHostsTest, AServerBehindAPasswordAdmitsAndStatusNeverShowsThePassword) {
  test::RedisOptions options;
  options.password = "s3cret-pw";
  auto guarded = test::RedisServer::start(options);
  ASSERT_TRUE(guarded) << guarded.error().message;
  m_url = (*guarded)->url(":s3cret-pw");
  Process run(host_launch("a", "run", {{"FAKE_SLEEP_MS", "100"}}));
  ASSERT_TRUE(run.wait(30s));
  EXPECT_TRUE(ran_with_permit("run")) << run.stderr_text();
  nlohmann::json status = status_of(*this, host_env("a"));
  ASSERT_TRUE(status.is_object());
  EXPECT_EQ(status["cluster"]["reachable"], true) << status.dump(2);
  EXPECT_EQ(status.dump().find("s3cret-pw"), std::string::npos) << status.dump(2);
  EXPECT_NE(status["cluster"]["url"].get<std::string>().find("***"), std::string::npos);
  EXPECT_EQ(run.stderr_text().find("s3cret-pw"), std::string::npos);
}

}  // namespace
}  // namespace vq::mp
