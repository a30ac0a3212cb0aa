#include "redis_connection.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <cerrno>
#include <charconv>

namespace vq::cluster {
namespace {

constexpr std::chrono::milliseconds k_connect_timeout{1000};
constexpr int k_min_major_version = 7;

timeval as_timeval(std::chrono::milliseconds duration) {
  auto ms = duration.count();
  return timeval{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
}

Reply copied(const redisReply& reply) {
  Reply out;
  switch (reply.type) {
    case REDIS_REPLY_STRING:
      out.type = Reply::Type::string;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::array;
      break;
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::integer;
      break;
    case REDIS_REPLY_STATUS:
      out.type = Reply::Type::status;
      break;
    case REDIS_REPLY_ERROR:
      out.type = Reply::Type::error;
      break;
    default:
      out.type = Reply::Type::nil;
      break;
  }
  out.integer = reply.integer;
  if (reply.str != nullptr) out.text.assign(reply.str, reply.len);
  for (std::size_t i = 0; i < reply.elements; ++i)
    out.elements.push_back(copied(*reply.element[i]));
  return out;
}

Error config_error(std::string message) {
  return Error::of_kind(ErrorKind::bad_config, std::move(message));
}

// The major version from INFO server's "redis_version:7.0.15", or -1 when the text has none.
int major_version_of(const std::string& info, std::string& version) {
  constexpr std::string_view k_field = "redis_version:";
  auto at = info.find(k_field);
  if (at == std::string::npos) return -1;
  auto end = info.find_first_of("\r\n", at);
  version = info.substr(at + k_field.size(), end - at - k_field.size());
  int major = -1;
  std::from_chars(version.data(), version.data() + version.size(), major);
  return major;
}

}  // namespace

long long Reply::as_integer() const {
  if (type == Type::integer) return integer;
  long long value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

Result<std::unique_ptr<RedisConnection>> RedisConnection::open(const ClusterSettings& settings) {
  std::unique_ptr<RedisConnection> connection(new RedisConnection(settings));
  VQ_TRY(connection->connect());
  return connection;
}

RedisConnection::~RedisConnection() {
  if (m_context != nullptr) redisFree(m_context);
}

std::string RedisConnection::address() const {
  bool v6 = m_settings.host.find(':') != std::string::npos;
  return "redis://" + (v6 ? "[" + m_settings.host + "]" : m_settings.host) + ":" +
         std::to_string(m_settings.port);
}

Error RedisConnection::unreachable(const std::string& reason) const {
  return Error::of_kind(ErrorKind::system,
                        "VQ_CLUSTER: cannot reach the Redis server at " + address() + " (" +
                            reason +
                            ") — start redis-server there, or fix the host and port "
                            "in VQ_CLUSTER");
}

Result<Done> RedisConnection::connect() {
  if (m_context != nullptr) redisFree(m_context);
  m_context = redisConnectWithTimeout(m_settings.host.c_str(), m_settings.port,
                                      as_timeval(k_connect_timeout));
  if (m_context == nullptr) return unreachable("out of memory");
  if (m_context->err != 0) {
    std::string reason = m_context->errstr;
    redisFree(m_context);
    m_context = nullptr;
    return unreachable(reason);
  }
  auto handshake = [&]() -> Result<Done> {
    VQ_TRY(authenticate());
    return check_server();
  }();
  if (!handshake) {
    if (m_context != nullptr) redisFree(m_context);  // a failed exchange has freed it already
    m_context = nullptr;
    return handshake.error();
  }
  return Done{};
}

Result<Done> RedisConnection::authenticate() {
  const auto& s = m_settings;
  if (s.password.empty()) return Done{};
  std::vector<std::string> argv{"AUTH"};
  if (!s.user.empty()) argv.push_back(s.user);
  argv.push_back(s.password);
  VQ_TRY_ASSIGN(reply, exchange(argv, k_command_timeout));
  if (!reply->is_error()) return Done{};
  std::string who = s.user.empty() ? "the default user" : "user " + s.user;
  if (reply->text.find("without any password configured") != std::string::npos ||
      reply->text.find("called without any password") != std::string::npos) {
    return config_error("VQ_CLUSTER: the server at " + address() +
                        " has no password set, but vq sent one — remove the password from "
                        "VQ_CLUSTER or VQ_CLUSTER_PASSWORD_FILE, or set requirepass on the server");
  }
  return config_error("VQ_CLUSTER: the server at " + address() + " refused the password of " + who +
                      " (" + reply->text.substr(0, reply->text.find(' ')) +
                      ": wrong password, no such user, or the user is disabled) — check the "
                      "user in VQ_CLUSTER and the password in VQ_CLUSTER_PASSWORD_FILE or the URL");
}

Result<Done> RedisConnection::check_server() {
  if (m_settings.db != 0) {
    VQ_TRY_ASSIGN(selected, exchange({"SELECT", std::to_string(m_settings.db)}, k_command_timeout));
    if (selected->is_error() && selected->text.starts_with("NOAUTH")) {
      return config_error("VQ_CLUSTER: the server at " + address() +
                          " needs a password — give it in VQ_CLUSTER_PASSWORD_FILE or the URL");
    }
    if (selected->is_error()) {
      return config_error("VQ_CLUSTER: the server at " + address() + " has no database " +
                          std::to_string(m_settings.db) + " (" + selected->text +
                          ") — use a lower number after the '/' in VQ_CLUSTER");
    }
  }
  VQ_TRY_ASSIGN(info, exchange({"INFO", "server"}, k_command_timeout));
  if (info->is_error() && info->text.starts_with("NOAUTH")) {
    return config_error("VQ_CLUSTER: the server at " + address() +
                        " needs a password — give it in VQ_CLUSTER_PASSWORD_FILE or the URL");
  }
  std::string version;
  int major = info->is_error() ? -1 : major_version_of(info->text, version);
  if (major < 0) {
    return config_error("VQ_CLUSTER: " + address() +
                        " is not a Redis server (INFO gave no redis_version) — point VQ_CLUSTER "
                        "at redis-server's host and port");
  }
  if (major < k_min_major_version) {
    return config_error("VQ_CLUSTER: the server at " + address() + " is Redis " + version +
                        "; vq needs Redis 7 or later — upgrade redis-server");
  }
  m_verified = true;
  return Done{};
}

// After a failed exchange: a peer that answered what hiredis cannot
// read, before any INFO showed a Redis server, is something else listening there (a config
// error); silence is a stopped, overloaded or cut-off server, and EOF or a broken pipe after
// the handshake is one that went away: both unreachable, a state that may pass.
Error RedisConnection::lost(std::chrono::milliseconds timeout) {
  int code = m_context->err;
  bool silent = code == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK);
  std::string reason = silent
                           ? "connected, but no reply within " + std::to_string(timeout.count()) +
                                 " ms: the server is stopped or overloaded, or what listens "
                                 "there never answers"
                           : std::string(m_context->errstr);
  redisFree(m_context);
  m_context = nullptr;
  bool garbled = code == REDIS_ERR_PROTOCOL || code == REDIS_ERR_EOF;
  if (!m_verified && garbled) {
    return config_error("VQ_CLUSTER: " + address() + " does not answer as a Redis server (" +
                        reason + ") — point VQ_CLUSTER at redis-server's host and port");
  }
  return unreachable(reason);
}

Result<Reply> RedisConnection::exchange(const std::vector<std::string>& argv,
                                        std::chrono::milliseconds timeout) {
  std::vector<const char*> args;
  std::vector<size_t> lengths;
  for (const auto& arg : argv) {
    args.push_back(arg.c_str());
    lengths.push_back(arg.size());
  }
  redisSetTimeout(m_context, as_timeval(timeout));
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(m_context, static_cast<int>(args.size()), args.data(), lengths.data()));
  if (reply == nullptr) return lost(timeout);
  Reply out = copied(*reply);
  freeReplyObject(reply);
  return out;
}

Result<Reply> RedisConnection::command(const std::vector<std::string>& argv,
                                       std::chrono::milliseconds timeout) {
  if (m_context == nullptr) VQ_TRY(connect());
  return exchange(argv, timeout);
}

}  // namespace vq::cluster
