#include "redis_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <thread>

namespace vq::test {
namespace {

sockaddr_in loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

// A PING answered with +PONG, or -NOAUTH by a server with a password: either way it is up.
bool answers_ping(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  auto address = loopback(port);
  timeval limit{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  bool up = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::write(fd, "PING\r\n", 6) == 6) {
    char reply[16] = {};
    up = ::read(fd, reply, sizeof reply - 1) > 0 && (reply[0] == '+' || reply[0] == '-');
  }
  ::close(fd);
  return up;
}

}  // namespace

int free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  auto address = loopback(0);
  socklen_t length = sizeof address;
  int port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  if (fd >= 0) ::close(fd);
  return port;
}

bool RedisServer::available() {
  return ::system("command -v redis-server >/dev/null 2>&1") == 0;
}

Result<std::unique_ptr<RedisServer>> RedisServer::start(RedisOptions options) {
  std::string pattern = (std::filesystem::temp_directory_path() / "vq-redis-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) return Error::from_errno("mkdtemp " + pattern);
  std::unique_ptr<RedisServer> server(new RedisServer(std::move(options), pattern));
  // Another test may take the free port between the check and the bind: try a few.
  for (int attempt = 0;; ++attempt) {
    server->m_port = free_loopback_port();
    auto launched = server->launch();
    if (launched) return server;
    if (attempt == 4) return launched.error();
  }
}

RedisServer::~RedisServer() {
  stop();
  std::error_code ignored;
  std::filesystem::remove_all(m_dir, ignored);
}

std::string RedisServer::url(const std::string& userinfo) const {
  return "redis://" + (userinfo.empty() ? "" : userinfo + "@") +
         "127.0.0.1:" + std::to_string(m_port) + "/0";
}

std::string RedisServer::url_at(const std::string& address) const {
  return "redis://" + address + ":" + std::to_string(m_port) + "/0";
}

Result<Done> RedisServer::launch() {
  std::vector<std::string> args{"redis-server",
                                "--port",
                                std::to_string(m_port),
                                "--save",
                                "",
                                "--appendonly",
                                m_options.appendonly ? "yes" : "no",
                                "--dir",
                                m_dir,
                                "--logfile",
                                m_dir + "/redis.log",
                                "--daemonize",
                                "no"};
  // One --bind with every address: a second --bind would replace the first.
  args.insert(args.end(), {"--bind", "127.0.0.1"});
  args.insert(args.end(), m_options.also_bind.begin(), m_options.also_bind.end());
  // Protected mode answers every client not on loopback with -DENIED while there is no password.
  if (!m_options.also_bind.empty()) args.insert(args.end(), {"--protected-mode", "no"});
  if (!m_options.password.empty()) args.insert(args.end(), {"--requirepass", m_options.password});
  // redis-server reads a directive's arguments as separate words.
  for (const auto& user : m_options.acl_users) {
    args.push_back("--user");
    std::istringstream words(user);
    for (std::string word; words >> word;) args.push_back(word);
  }
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const pid_t test_pid = ::getpid();
  m_pid = ::fork();
  if (m_pid < 0) return Error::from_errno("fork for redis-server");
  if (m_pid == 0) {
    // A test killed (a timeout, ^C) takes its server with it rather than leaving it listening.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != test_pid) ::_exit(127);
    ::close_range(3, ~0U, 0);
    ::execvp("redis-server", argv.data());
    ::_exit(127);
  }
  auto ready = wait_until_ready();
  if (!ready) stop();
  return ready;
}

Result<Done> RedisServer::wait_until_ready() {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
      m_pid = -1;
      return Error{"redis-server exited at start (see " + m_dir + "/redis.log)"};
    }
    if (answers_ping(m_port)) return Done{};
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return Error{"redis-server did not answer PING on port " + std::to_string(m_port) + " in 10 s"};
}

void RedisServer::kill_hard() {
  if (m_pid <= 0) return;
  ::kill(m_pid, SIGKILL);
  ::waitpid(m_pid, nullptr, 0);
  m_pid = -1;
}

Result<Done> RedisServer::restart() {
  kill_hard();
  return launch();
}

void RedisServer::stop() {
  if (m_pid <= 0) return;
  ::kill(m_pid, SIGTERM);
  ::waitpid(m_pid, nullptr, 0);
  m_pid = -1;
}

}  // namespace vq::test
