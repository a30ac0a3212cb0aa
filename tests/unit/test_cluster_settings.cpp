#include "cluster_settings.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <vector>

#include "config.h"
#include "env_map.h"
#include "temp_dir.h"

using namespace vq;
using namespace vq::cluster;

TEST(ClusterSettings, FullUrlGivesEveryPart) {
  auto settings = parse_cluster_url("redis://ci:s3cret@redis.example:6380/2");
  ASSERT_TRUE(settings) << settings.error().message;
  EXPECT_EQ(settings->host, "redis.example");
  EXPECT_EQ(settings->port, 6380);
  EXPECT_EQ(settings->db, 2);
  EXPECT_EQ(settings->user, "ci");
  EXPECT_EQ(settings->password, "s3cret");
  EXPECT_EQ(settings->describe(), "redis://ci:***@redis.example:6380/2 queue default");
}

TEST(ClusterSettings, PortAndDatabaseHaveDefaults) {
  auto settings = parse_cluster_url("redis://10.0.0.5");
  ASSERT_TRUE(settings);
  EXPECT_EQ(settings->port, 6379);
  EXPECT_EQ(settings->db, 0);
  EXPECT_TRUE(settings->user.empty());
  EXPECT_EQ(parse_cluster_url("redis://h/")->db, 0);
  EXPECT_EQ(parse_cluster_url("redis://[::1]:7000/1")->host, "::1");
  EXPECT_EQ(parse_cluster_url("redis://[::1]:7000/1")->describe(),
            "redis://[::1]:7000/1 queue default");
}

TEST(ClusterSettings, PasswordAloneAndEscapes) {
  auto settings = parse_cluster_url("redis://:p%40ss%3Aword@h:1");
  ASSERT_TRUE(settings);
  EXPECT_EQ(settings->user, "");
  EXPECT_EQ(settings->password, "p@ss:word");
  EXPECT_EQ(settings->describe(), "redis://:***@h:1/0 queue default");
  EXPECT_FALSE(parse_cluster_url("redis://:bad%4@h"));
}

TEST(ClusterSettings, ANonRedisUrlNamesTheVariableAndTheForm) {
  auto error = parse_cluster_url("http://x");
  ASSERT_FALSE(error);
  EXPECT_EQ(error.error().message,
            "VQ_CLUSTER: \"http://x\" is not a redis:// URL — use "
            "redis://[user:password@]host:port/db");
  EXPECT_EQ(error.error().kind, ErrorKind::bad_config);
}

TEST(ClusterSettings, BadPartsAreEachNamedAndThePasswordIsNotEchoed) {
  for (std::string url : {"redis://h:0", "redis://h:99999", "redis://h:port", "redis://h/x",
                          "redis://", "redis://bad host", "redis://h?db=1"}) {
    auto parsed = parse_cluster_url(url);
    ASSERT_FALSE(parsed) << url;
    EXPECT_TRUE(parsed.error().message.starts_with("VQ_CLUSTER: ")) << parsed.error().message;
    EXPECT_NE(parsed.error().message.find("use redis://"), std::string::npos);
  }
  auto with_password = parse_cluster_url("redis://u:topsecret@h:0");
  ASSERT_FALSE(with_password);
  EXPECT_EQ(with_password.error().message.find("topsecret"), std::string::npos)
      << with_password.error().message;
}

TEST(ClusterSettings, PasswordFileFirstLineOnlyWhenPrivate) {
  test::TempDir dir;
  std::string path = dir / "password";
  std::ofstream(path) << "from-file\r\nsecond line\n";
  ::chmod(path.c_str(), 0600);
  auto password = read_password_file(path);
  ASSERT_TRUE(password) << password.error().message;
  EXPECT_EQ(*password, "from-file");

  ::chmod(path.c_str(), 0640);
  auto refused = read_password_file(path);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("VQ_CLUSTER_PASSWORD_FILE: " + path), std::string::npos);
  EXPECT_NE(refused.error().message.find("chmod 600"), std::string::npos);
  EXPECT_FALSE(read_password_file(dir / "missing"));
}

TEST(ClusterSettings, QueueLimitTtlAndHostAreRangeChecked) {
  EXPECT_EQ(*parse_queue_name("ci.main-1_x"), "ci.main-1_x");
  EXPECT_FALSE(parse_queue_name(""));
  EXPECT_FALSE(parse_queue_name("a b"));
  EXPECT_FALSE(parse_queue_name("{vq}"));
  EXPECT_FALSE(parse_queue_name(std::string(65, 'q')));
  EXPECT_EQ(*parse_cluster_limit("3"), 3);
  EXPECT_FALSE(parse_cluster_limit("0"));
  EXPECT_NE(parse_cluster_limit("x").error().message.find("VQ_CLUSTER_LIMIT="), std::string::npos);
  EXPECT_EQ(*parse_cluster_ttl("2"), std::chrono::milliseconds(2000));
  EXPECT_FALSE(parse_cluster_ttl("0"));
  EXPECT_FALSE(parse_cluster_ttl("1.5"));
  EXPECT_EQ(*parse_host_name("runner-3"), "runner-3");
  EXPECT_FALSE(parse_host_name("two words"));
}

TEST(ClusterSettings, ConfigReadsTheClusterBlockOnlyWithVqCluster) {
  auto none = load_config(test::lookup_in({{"VQ_CLUSTER_QUEUE", "bad queue"}}));
  ASSERT_TRUE(none) << "companions are not read without VQ_CLUSTER";
  EXPECT_FALSE(none->cluster);

  test::TempDir dir;
  std::string path = dir / "password";
  std::ofstream(path) << "file-wins\n";
  ::chmod(path.c_str(), 0600);
  auto config = load_config(test::lookup_in({{"VQ_CLUSTER", "redis://u:url-pw@h:7/1"},
                                             {"VQ_CLUSTER_PASSWORD_FILE", path},
                                             {"VQ_CLUSTER_QUEUE", "team"},
                                             {"VQ_CLUSTER_LIMIT", "3"},
                                             {"VQ_CLUSTER_TTL", "2"},
                                             {"VQ_CLUSTER_HOST", "box-a"}}));
  ASSERT_TRUE(config) << config.error().message;
  ASSERT_TRUE(config->cluster);
  EXPECT_EQ(config->cluster->password, "file-wins");
  EXPECT_EQ(config->cluster->queue, "team");
  EXPECT_EQ(config->cluster->limit, 3);
  EXPECT_EQ(config->cluster->ttl, std::chrono::milliseconds(2000));
  EXPECT_EQ(config->cluster->host_name, "box-a");

  auto defaults = load_config(test::lookup_in({{"VQ_CLUSTER", "redis://h"}}));
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->cluster->host_name, this_host_name());
  EXPECT_EQ(defaults->cluster->ttl, std::chrono::milliseconds(10000));
  EXPECT_EQ(defaults->cluster->limit_seed(), 4);

  auto bad = load_config(test::lookup_in({{"VQ_CLUSTER", "redis://h"}, {"VQ_CLUSTER_TTL", "0"}}));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("VQ_CLUSTER_TTL=0"), std::string::npos);
}

namespace {

// parse_cluster_url refuses `url` with a message that holds none of `secrets` (pieces of the
// password) and stays short.
void expect_no_secret(const std::string& url, const std::vector<std::string>& secrets) {
  auto parsed = parse_cluster_url(url);
  ASSERT_FALSE(parsed) << url << " was meant to be refused";
  const std::string& message = parsed.error().message;
  for (const auto& secret : secrets) {
    EXPECT_EQ(message.find(secret), std::string::npos) << "shown: " << message;
  }
  EXPECT_LT(message.size(), 240u) << "a long URL is shortened: " << message;
}

}  // namespace

TEST(ClusterSettings, NoErrorShowsThePasswordWhateverTheUrlsLengthOrShape) {
  // The reviewer's case: 64 characters of password put the '@' past the 80 shown.
  const std::string password = "Xk9f2Lq7" + std::string(48, 'w') + "Zr8uVb3N";
  const std::vector<std::string> parts = {"Xk9f", "wwww", "Zr8u"};
  expect_no_secret("redis://ci-runner:" + password + "@redis.ci.internal:6379/O", parts);
  expect_no_secret("redis://ci-runner:" + password + "@redis.ci.internal:0/0", parts);
  expect_no_secret("redis://:" + password + "@bad host:6379/0", parts);
  expect_no_secret("redis://u:" + password + "@h:1/0?db=1", parts);
  expect_no_secret("rediss://u:" + password + "@h:1/0", parts);
  expect_no_secret("u:" + password + "@h:1/0", parts);  // no scheme
  expect_no_secret("redis://u:" + password + "@" + std::string(120, 'h') + ":1/x", parts);
  // Unescaped '@' and '/' in the password, %-escapes, a broken escape, control characters.
  expect_no_secret("redis://u:pa@ss@wo@rd42@h:1/x", {"pa@", "ss@", "wo@", "rd42"});
  expect_no_secret("redis://u:first/second@h:1/0", {"first", "second"});
  expect_no_secret("redis://u:p%40ss%2Fw%3Ard@h:1/x", {"p%40", "ss%2F", "w%3A", "p@ss"});
  expect_no_secret("redis://u:zq7%4gvx@h:1/0", {"zq7", "%4gvx"});
  expect_no_secret("redis://u:sec\x1b[2Jret@h:1/x", {"sec", "ret", "\x1b"});

  auto masked = parse_cluster_url("redis://ci-runner:" + password + "@redis.ci.internal:6379/O");
  EXPECT_NE(masked.error().message.find("\"redis://***@redis.ci.internal:6379/O\""),
            std::string::npos)
      << masked.error().message;
  // No '@': nothing to mask, and a long URL is still cut to 80 characters.
  auto plain = parse_cluster_url("redis://" + std::string(200, 'h') + ":1/x");
  EXPECT_NE(plain.error().message.find("\"redis://" + std::string(72, 'h') + "…\""),
            std::string::npos)
      << plain.error().message;
}

TEST(ClusterSettings, AUserWithoutAPasswordIsRefusedNamingThePasswordFile) {
  auto refused = load_config(test::lookup_in({{"VQ_CLUSTER", "redis://vq@redis.lan:6379/0"}}));
  ASSERT_FALSE(refused) << "without AUTH vq would run as the default user, not vq";
  EXPECT_EQ(refused.error().kind, ErrorKind::bad_config);
  EXPECT_NE(refused.error().message.find("VQ_CLUSTER: user vq has no password"), std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find("VQ_CLUSTER_PASSWORD_FILE"), std::string::npos);
  EXPECT_NE(refused.error().message.find("redis://vq:PASSWORD@host:port/db"), std::string::npos);
  EXPECT_FALSE(load_config(test::lookup_in({{"VQ_CLUSTER", "redis://vq:@h"}})));

  test::TempDir dir;
  std::string path = dir / "password";
  std::ofstream(path) << "from-file\n";
  ::chmod(path.c_str(), 0600);
  auto with_file = load_config(test::lookup_in(
      {{"VQ_CLUSTER", "redis://vq@redis.lan:6379/0"}, {"VQ_CLUSTER_PASSWORD_FILE", path}}));
  ASSERT_TRUE(with_file) << with_file.error().message;  // the README's form
  EXPECT_EQ(with_file->cluster->password, "from-file");
  EXPECT_TRUE(load_config(test::lookup_in({{"VQ_CLUSTER", "redis://:pw@h"}})));
  EXPECT_TRUE(load_config(test::lookup_in({{"VQ_CLUSTER", "redis://h"}})));
}
