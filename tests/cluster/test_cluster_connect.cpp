// Connecting: each way it can go wrong is one clear sentence naming the variable and the fix,
// and the persistence warning says when a restart would forget the holders.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <fstream>

#include "cluster_test_support.h"

using namespace vq;
using namespace vq::test;

namespace {

std::string connect_error(const cluster::ClusterSettings& settings) {
  auto queue = cluster::ClusterQueue::connect(settings);
  return queue ? "" : queue.error().message;
}

cluster::ClusterSettings settings_at(int port, const std::string& userinfo = "") {
  auto settings = cluster::parse_cluster_url("redis://" + userinfo + (userinfo.empty() ? "" : "@") +
                                             "127.0.0.1:" + std::to_string(port));
  return *settings;
}

// A TCP listener that is not Redis: answers every connection with `answer` and closes it.
class ImpostorServer {
 public:
  explicit ImpostorServer(std::string answer) : m_answer(std::move(answer)) {
    m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    ::bind(m_fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&address), &length);
    m_port = ntohs(address.sin_port);
    ::listen(m_fd, 4);
    m_thread = std::thread([this] { serve(); });
  }
  ~ImpostorServer() {
    m_stop = true;
    ::shutdown(m_fd, SHUT_RDWR);
    m_thread.join();
    ::close(m_fd);
  }
  int port() const { return m_port; }

 private:
  void serve() {
    while (!m_stop) {
      int client = ::accept4(m_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) return;
      char request[256];
      [[maybe_unused]] auto got = ::read(client, request, sizeof request);
      [[maybe_unused]] auto sent = ::write(client, m_answer.data(), m_answer.size());
      ::close(client);
    }
  }

  std::string m_answer;
  int m_fd = -1;
  int m_port = 0;
  std::atomic<bool> m_stop{false};
  std::thread m_thread;
};

}  // namespace

TEST(ClusterConnect, NothingListeningIsUnreachableNamingTheVariable) {
  std::string error = connect_error(settings_at(free_loopback_port()));
  EXPECT_NE(error.find("VQ_CLUSTER: cannot reach the Redis server at redis://127.0.0.1:"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("Connection refused"), std::string::npos) << error;
  EXPECT_NE(error.find("start redis-server there"), std::string::npos) << error;
}

TEST(ClusterConnect, AnHttpServerIsNotRedis) {
  ImpostorServer http("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
  std::string error = connect_error(settings_at(http.port()));
  EXPECT_NE(error.find("does not answer as a Redis server"), std::string::npos) << error;
  EXPECT_NE(error.find("point VQ_CLUSTER at redis-server's host and port"), std::string::npos)
      << error;
}

TEST(ClusterConnect, GarbageIsNotRedis) {
  ImpostorServer garbage(std::string("\x01\x02garbage\r\n", 11));
  std::string error = connect_error(settings_at(garbage.port(), ":pw"));
  EXPECT_NE(error.find("does not answer as a Redis server"), std::string::npos) << error;
}

TEST(ClusterConnect, AWrongPasswordNamesThePasswordFile) {
  if (!RedisServer::available()) GTEST_SKIP() << "redis-server is not installed";
  auto server = RedisServer::start(RedisOptions{"right-secret", {}, false});
  ASSERT_TRUE(server) << server.error().message;
  std::string error = connect_error(settings_for(**server, 1, 1, ":wrong-secret"));
  EXPECT_NE(error.find("refused the password of the default user"), std::string::npos) << error;
  EXPECT_NE(error.find("VQ_CLUSTER_PASSWORD_FILE"), std::string::npos) << error;
  EXPECT_EQ(error.find("wrong-secret"), std::string::npos) << "the password is never shown";

  std::string missing = connect_error(settings_for(**server));
  EXPECT_NE(missing.find("needs a password"), std::string::npos) << missing;
  EXPECT_EQ(connect_error(settings_for(**server, 1, 1, ":right-secret")), "");
}

TEST(ClusterConnect, AnAclUserWithAWrongPasswordIsNamed) {
  if (!RedisServer::available()) GTEST_SKIP() << "redis-server is not installed";
  auto server = RedisServer::start(RedisOptions{"", {"ci on >ci-secret ~{vq:* +@all"}, false});
  ASSERT_TRUE(server) << server.error().message;
  std::string error = connect_error(settings_for(**server, 1, 1, "ci:not-it"));
  EXPECT_NE(error.find("refused the password of user ci"), std::string::npos) << error;
  EXPECT_NE(error.find("WRONGPASS"), std::string::npos) << error;
  EXPECT_EQ(error.find("not-it"), std::string::npos) << "the password is never shown";
  EXPECT_EQ(connect_error(settings_for(**server, 1, 1, "ci:ci-secret")), "");
}

TEST(ClusterConnect, PersistenceOffIsWarnedAbout) {
  if (!RedisServer::available()) GTEST_SKIP() << "redis-server is not installed";
  auto volatile_server = RedisServer::start();
  ASSERT_TRUE(volatile_server) << volatile_server.error().message;
  auto queue = cluster::ClusterQueue::connect(settings_for(**volatile_server));
  ASSERT_TRUE(queue);
  auto warning = queue->persistence_warning();
  ASSERT_TRUE(warning);
  EXPECT_NE(warning->find("appendonly off: a restart forgets holders"), std::string::npos);

  auto durable_server = RedisServer::start(RedisOptions{"", {}, true});
  ASSERT_TRUE(durable_server) << durable_server.error().message;
  auto durable = cluster::ClusterQueue::connect(settings_for(**durable_server));
  ASSERT_TRUE(durable);
  EXPECT_FALSE(durable->persistence_warning());
}

namespace {

// The ACL line docs/SECURITY.md gives, as redis-server's --user takes it.
std::string documented_acl_rule(const std::string& password) {
  std::ifstream page(std::string(VQ_SOURCE_DIR) + "/docs/SECURITY.md");
  std::string line;
  while (std::getline(page, line)) {
    if (!line.starts_with("user vq on >CHANGE-ME ")) continue;
    line = line.substr(5);
    line.replace(line.find(">CHANGE-ME"), 10, ">" + password);
    return line;
  }
  return "";
}

}  // namespace

TEST(ClusterConnect, TheDocumentedAclUserCanRunTheWholeQueue) {
  if (!RedisServer::available()) GTEST_SKIP() << "redis-server is not installed";
  std::string rule = documented_acl_rule("acl-pw");
  ASSERT_FALSE(rule.empty()) << "docs/SECURITY.md has no 'user vq on >CHANGE-ME …' line";
  auto server = RedisServer::start(RedisOptions{"", {rule}, false});
  ASSERT_TRUE(server) << server.error().message;
  auto settings = settings_for(**server, 1, 1, "vq:acl-pw");
  auto queue = cluster::ClusterQueue::connect(settings);
  ASSERT_TRUE(queue) << queue.error().message;
  auto ticket = queue->join(member_named("acl"));
  ASSERT_TRUE(ticket) << ticket.error().message;
  auto permit = wait_for_permit(*queue, *ticket, std::chrono::seconds(5));
  ASSERT_TRUE(permit);
  auto renewal = queue->renew(*permit);
  ASSERT_TRUE(renewal) << renewal.error().message;
  EXPECT_EQ(*renewal, cluster::Renewal::renewed);
  auto snapshot = queue->snapshot();
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  EXPECT_EQ(snapshot->holders.size(), 1u);
  auto facts = queue->server_facts();
  ASSERT_TRUE(facts) << facts.error().message;
  EXPECT_GE(facts->major_version, 7);
  EXPECT_TRUE(queue->set_limit(2));
  EXPECT_TRUE(queue->release(*permit));
  auto second = queue->join(member_named("acl-2"));
  ASSERT_TRUE(second);
  EXPECT_TRUE(queue->leave(*second));
}

namespace {

// A redis-server stopped with SIGSTOP for the scope: the kernel still completes connections
// into its backlog, but nothing answers them. SIGCONT on the way out, so the fixture can stop it.
class Stopped {
 public:
  explicit Stopped(pid_t pid) : m_pid(pid) { ::kill(m_pid, SIGSTOP); }
  ~Stopped() { ::kill(m_pid, SIGCONT); }
  Stopped(const Stopped&) = delete;
  Stopped& operator=(const Stopped&) = delete;

 private:
  pid_t m_pid;
};

// A listener that never accepts: connections complete in the kernel's backlog and are never
// answered, as behind a stalled server or a half-open proxy.
class SilentListener {
 public:
  SilentListener() {
    m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    ::bind(m_fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&address), &length);
    m_port = ntohs(address.sin_port);
    ::listen(m_fd, 8);
  }
  ~SilentListener() { ::close(m_fd); }
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;
  int port() const { return m_port; }

 private:
  int m_fd = -1;
  int m_port = 0;
};

void expect_unreachable_by_silence(const cluster::ClusterSettings& settings) {
  auto queue = cluster::ClusterQueue::connect(settings);
  ASSERT_FALSE(queue);
  const std::string& error = queue.error().message;
  EXPECT_EQ(queue.error().kind, ErrorKind::system) << "unreachable, not a bad config: " << error;
  EXPECT_NE(error.find("cannot reach the Redis server"), std::string::npos) << error;
  EXPECT_NE(error.find("no reply within"), std::string::npos) << error;
  EXPECT_EQ(error.find("not answer as a Redis server"), std::string::npos) << error;
}

}  // namespace

TEST(ClusterConnect, AStoppedServerIsUnreachableNotAnImpostor) {
  if (!RedisServer::available()) GTEST_SKIP() << "redis-server is not installed";
  auto server = RedisServer::start();
  ASSERT_TRUE(server) << server.error().message;
  {
    Stopped stopped((*server)->pid());
    expect_unreachable_by_silence(settings_for(**server));
  }
  EXPECT_EQ(connect_error(settings_for(**server)), "") << "resumed, it answers again";
}

TEST(ClusterConnect, AListenerThatNeverAnswersIsUnreachable) {
  SilentListener silent;
  expect_unreachable_by_silence(settings_at(silent.port()));
  expect_unreachable_by_silence(settings_at(silent.port(), ":pw"));  // silent at AUTH too
}
