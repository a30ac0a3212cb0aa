// A real redis-server for a test: on 127.0.0.1 (and any address asked for), a free port, its own
// directory, no persistence unless asked; killed (or kill -9'd and restarted empty on the same
// port) by the test.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "result.h"

namespace vq::test {

struct RedisOptions {
  std::string password;                // requirepass for the default user
  std::vector<std::string> acl_users;  // ACL rules, one user each: "alice on >secret ~* +@all"
  bool appendonly = false;
  // Addresses to listen on besides 127.0.0.1 (a veth's, so another network namespace can reach
  // the server and then be cut off from it); each must be configured before start. Defaulted,
  // so that RedisOptions{password, users, appendonly} need not name it.
  std::vector<std::string> also_bind = {};
};

// A port nothing listens on right now (bound and closed again).
int free_loopback_port();

class RedisServer {
 public:
  // Whether redis-server is installed (tests skip with a message otherwise).
  static bool available();
  static Result<std::unique_ptr<RedisServer>> start(RedisOptions options = {});
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return m_port; }
  pid_t pid() const { return m_pid; }
  // redis://[userinfo@]127.0.0.1:PORT/0
  std::string url(const std::string& userinfo = "") const;
  // redis://ADDRESS:PORT/0, for an address of RedisOptions::also_bind
  std::string url_at(const std::string& address) const;

  void kill_hard();        // SIGKILL and reap: every key gone with it
  Result<Done> restart();  // start again, empty, on the same port
  void stop();             // SIGTERM and reap

 private:
  RedisServer(RedisOptions options, std::string dir) : m_options(std::move(options)), m_dir(dir) {}
  Result<Done> launch();
  Result<Done> wait_until_ready();

  RedisOptions m_options;
  std::string m_dir;
  int m_port = 0;
  pid_t m_pid = -1;
};

}  // namespace vq::test
