#include "cluster_checks.h"

#include <gtest/gtest.h>

using namespace vq;
using namespace vq::admin;

namespace {

cluster::ClusterSettings settings() {
  auto parsed = cluster::parse_cluster_url("redis://ci:secret@redis.lan:6380/1");
  parsed->host_name = "runner-1";
  return *parsed;
}

const DoctorCheck& named(const std::vector<DoctorCheck>& checks, const std::string& name) {
  for (const auto& check : checks) {
    if (check.name == name) return check;
  }
  static DoctorCheck none{"(missing)", false, "", ""};
  return none;
}

}  // namespace

TEST(ClusterChecks, AGoodServerPassesAndTheSkewIsReported) {
  auto checks = judge_cluster(settings(), cluster::ServerFacts{"7.0.15", 7, 0, -35, true});
  ASSERT_EQ(checks.size(), 4u);
  for (const auto& check : checks) EXPECT_TRUE(check.ok) << check.name << ": " << check.found;
  EXPECT_EQ(named(checks, "cluster").found,
            "connected and authenticated to redis://ci:***@redis.lan:6380/1 queue default as host "
            "runner-1");
  EXPECT_NE(named(checks, "clock").found.find("-35 ms"), std::string::npos);
  EXPECT_NE(named(checks, "server").found.find("Redis 7.0.15"), std::string::npos);
}

TEST(ClusterChecks, OldServerSkewedClockAndNoPersistenceAreProblemsWithFixes) {
  auto checks = judge_cluster(settings(), cluster::ServerFacts{"6.2.1", 6, 0, 2500, false});
  EXPECT_FALSE(named(checks, "server").ok);
  EXPECT_FALSE(named(checks, "clock").ok);
  EXPECT_NE(named(checks, "clock").found.find("+2500 ms"), std::string::npos);
  EXPECT_NE(named(checks, "clock").fix.find("chrony"), std::string::npos);
  EXPECT_FALSE(named(checks, "persist").ok);
  EXPECT_EQ(named(checks, "persist").fix, "set appendonly yes in the server's redis.conf");
  EXPECT_TRUE(named(checks, "cluster").ok);
  auto at_bound = judge_cluster(settings(), cluster::ServerFacts{"7.2.0", 7, 0, -2000, true});
  EXPECT_TRUE(named(at_bound, "clock").ok);
}

TEST(ClusterChecks, AFailedConnectionIsOneProblemWithTheMessage) {
  Result<cluster::ServerFacts> failed = Error{"VQ_CLUSTER: cannot reach the Redis server"};
  auto checks = judge_cluster(settings(), failed);
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_FALSE(checks[0].ok);
  EXPECT_EQ(checks[0].found, "VQ_CLUSTER: cannot reach the Redis server");
  EXPECT_NE(checks[0].fix.find("start or resume redis-server"), std::string::npos)
      << "unreachable is the server's state, not a setting to fix: " << checks[0].fix;
  EXPECT_EQ(checks[0].fix.find("fix VQ_CLUSTER"), std::string::npos) << checks[0].fix;

  Result<cluster::ServerFacts> refused =
      Error::of_kind(ErrorKind::bad_config, "VQ_CLUSTER: the server refused the password");
  auto config_checks = judge_cluster(settings(), refused);
  ASSERT_EQ(config_checks.size(), 1u);
  EXPECT_NE(config_checks[0].fix.find("fix VQ_CLUSTER"), std::string::npos);
  EXPECT_NE(config_checks[0].fix.find("unset VQ_CLUSTER"), std::string::npos);
}

TEST(ClusterChecks, NoneWithoutVqCluster) {
  EXPECT_TRUE(cluster_checks([](const char*) -> const char* { return nullptr; }).empty());
}
