// One synchronous connection to the Redis server behind VQ_CLUSTER (hiredis), with bounded
// timeouts, AUTH and SELECT, and replies copied into plain values so no hiredis type leaves
// this file. A connection that failed is dropped and made again by the next command.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "cluster_settings.h"
#include "result.h"

struct redisContext;

namespace vq::cluster {

struct Reply {
  enum class Type { string, array, integer, nil, status, error };
  Type type = Type::nil;
  long long integer = 0;
  std::string text;  // string, status and error replies
  std::vector<Reply> elements;

  bool is_error() const { return type == Type::error; }
  // An integer reply, or a string one holding a number.
  long long as_integer() const;
};

inline constexpr std::chrono::milliseconds k_command_timeout{1000};

class RedisConnection {
 public:
  // Connects, authenticates, selects the database and checks that it is Redis 7 or later.
  static Result<std::unique_ptr<RedisConnection>> open(const ClusterSettings& settings);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // One command; an error reply is a value (Reply::Type::error), a broken connection an Error.
  // `timeout` bounds the wait for the reply (a BLPOP's block time plus a margin).
  Result<Reply> command(const std::vector<std::string>& argv,
                        std::chrono::milliseconds timeout = k_command_timeout);
  std::string address() const;  // "redis://host:port" with no credentials

 private:
  explicit RedisConnection(ClusterSettings settings) : m_settings(std::move(settings)) {}
  Result<Done> connect();
  Result<Done> authenticate();
  Result<Done> check_server();
  Result<Reply> exchange(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);
  Error unreachable(const std::string& reason) const;
  Error lost(std::chrono::milliseconds timeout);

  ClusterSettings m_settings;
  redisContext* m_context = nullptr;
  bool m_verified = false;  // a handshake has shown a Redis 7 server at this address
};

}  // namespace vq::cluster
