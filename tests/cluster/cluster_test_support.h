// What the cluster tests share: settings for a fixture's server, child processes that report
// over a pipe, and an independent record of who ran when.
#pragma once

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "cluster_queue.h"
#include "redis_fixture.h"

namespace vq::test {

inline cluster::ClusterSettings settings_for(const RedisServer& server, int ttl_s = 1,
                                             int limit = 1, const std::string& userinfo = "") {
  auto settings = cluster::parse_cluster_url(server.url(userinfo));
  settings->ttl = std::chrono::seconds(ttl_s);
  settings->limit = limit;
  settings->host_name = "test-host";
  return *settings;
}

inline cluster::Member member_named(const std::string& agent) {
  return cluster::Member{"test-host", agent, "vitest run", static_cast<int>(::getpid()), 1, 0};
}

// A fixture's server for one test; null (with a failure recorded) when it would not start.
inline std::unique_ptr<RedisServer> start_server(RedisOptions options = {}) {
  auto server = RedisServer::start(std::move(options));
  if (!server) ADD_FAILURE() << server.error().message;
  return server ? std::move(*server) : nullptr;
}

// A connection that has joined the line as `agent`, and its ticket.
struct Joined {
  cluster::ClusterQueue queue;
  std::uint64_t ticket;
};

inline Joined joined(const cluster::ClusterSettings& settings, const std::string& agent) {
  auto queue = cluster::ClusterQueue::connect(settings);
  EXPECT_TRUE(queue) << queue.error().message;
  auto ticket = queue->join(member_named(agent));
  EXPECT_TRUE(ticket) << ticket.error().message;
  return Joined{std::move(*queue), *ticket};
}

// Waits for a permit, heartbeating, at most `limit`; nullopt when it did not come.
inline std::optional<cluster::Permit> wait_for_permit(cluster::ClusterQueue& queue,
                                                      std::uint64_t ticket,
                                                      std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    auto turn = queue.wait_turn(ticket, std::max(left, std::chrono::milliseconds(1)));
    if (turn && turn->permit) return turn->permit;
    if (!turn) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return std::nullopt;
}

// A forked child running `body`, its exit status the test's to check. It dies with the test
// process, so a failed assertion leaves no run behind.
template <typename Body>
pid_t spawn(Body body) {
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(99);
    int status = body();
    ::_exit(status);
  }
  return pid;
}

inline int exit_status_of(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// One line read from a pipe, or "" at EOF or after `limit`.
std::string read_line(int fd, std::chrono::milliseconds limit = std::chrono::seconds(20));
void write_line(int fd, const std::string& line);

}  // namespace vq::test
