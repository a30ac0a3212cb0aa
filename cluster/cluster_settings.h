// Where the cluster queue lives (VQ_CLUSTER and its companions), parsed without any network
// code: core/config and the static shim use it, and neither links hiredis.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "result.h"

namespace vq::cluster {

inline constexpr int k_default_cluster_limit = 4;
inline constexpr int k_max_cluster_limit = 100000;
inline constexpr std::chrono::milliseconds k_default_ttl{10000};

struct ClusterSettings {
  std::string host;
  int port = 6379;
  int db = 0;
  std::string user, password;  // never logged, never shown (describe() masks it)
  std::string queue = "default";
  std::optional<int> limit;  // VQ_CLUSTER_LIMIT: seeds the queue's limit when it has none
  std::chrono::milliseconds ttl{k_default_ttl};
  std::string host_name;  // VQ_CLUSTER_HOST or gethostname()
  // "redis://user:***@host:port/db queue default": safe for logs and status.
  std::string describe() const;
  int limit_seed() const { return limit.value_or(k_default_cluster_limit); }
};

// redis://[user:password@]host:port/db; port defaults to 6379, db to 0. Errors name VQ_CLUSTER
// and the form expected.
Result<ClusterSettings> parse_cluster_url(std::string_view url);

// A user named with no password (in the URL or VQ_CLUSTER_PASSWORD_FILE) is refused: without a
// password vq sends no AUTH, so it would run as Redis's default user, not the one named.
Result<Done> check_user_has_password(const ClusterSettings& settings);

// VQ_CLUSTER_PASSWORD_FILE: the file's first line. Refused when its group or others may read
// or write it (as ssh refuses a private key file), since then the password is not secret.
Result<std::string> read_password_file(const std::string& path);

// VQ_CLUSTER_QUEUE: [A-Za-z0-9._-]{1,64}, so it can be part of a Redis key as it is.
Result<std::string> parse_queue_name(std::string_view name);

// VQ_CLUSTER_LIMIT: 1..k_max_cluster_limit.
Result<int> parse_cluster_limit(std::string_view text);

// VQ_CLUSTER_TTL: whole seconds, at least 1.
Result<std::chrono::milliseconds> parse_cluster_ttl(std::string_view text);

// VQ_CLUSTER_HOST: printable, no spaces, up to 64 bytes.
Result<std::string> parse_host_name(std::string_view name);

// gethostname(), or "localhost" if it fails.
std::string this_host_name();

}  // namespace vq::cluster
