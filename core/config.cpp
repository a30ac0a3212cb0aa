#include "config.h"

#include <sys/auxv.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <string_view>

#include "display_text.h"

namespace vq {
namespace {

// The VQ_* name wins over the seed's VITEST_* name when both are set.
struct Source {
  const char* name = nullptr;
  std::string value;
};

std::optional<Source> lookup(const EnvLookup& env, const char* name,
                             const char* seed_name = nullptr) {
  for (const char* candidate : {name, seed_name}) {
    if (candidate == nullptr) continue;
    const char* value = env(candidate);
    if (value != nullptr && *value != '\0') return Source{candidate, value};
  }
  return std::nullopt;
}

// The bad value is echoed so the user sees what was read, but capped (a value of 100 KB would
// bury the message) and escaped (it may hold terminal escapes or newlines).
std::string echoed(const std::string& value) {
  constexpr std::size_t k_echoed_bytes = 40;
  std::size_t shown = utf8_prefix_length(value, k_echoed_bytes);
  return display_text(std::string_view(value).substr(0, shown)) +
         (shown < value.size() ? "… (" + std::to_string(value.size()) + " bytes)" : "");
}

Error bad_value(const Source& source, const std::string& accepted) {
  return Error{source.name + std::string("=") + echoed(source.value) +
               " is not valid: " + accepted};
}

Result<int> parse_int(const Source& source, int min, int max) {
  int value = 0;
  const std::string& text = source.value;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < min || value > max) {
    return bad_value(source, "expected a whole number from " + std::to_string(min) + " to " +
                                 std::to_string(max));
  }
  return value;
}

Result<double> parse_seconds(const Source& source, double max) {
  const std::string& text = source.value;
  char* end = nullptr;
  errno = 0;
  double value = std::strtod(text.c_str(), &end);
  bool plain = std::all_of(text.begin(), text.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) || c == '.';
  });
  if (!plain || end != text.c_str() + text.size() || errno != 0 || !std::isfinite(value) ||
      value < 0 || value > max) {
    return bad_value(source, "expected seconds from 0 to " +
                                 std::to_string(static_cast<long>(max)) + " (0 waits forever)");
  }
  return value;
}

Result<bool> parse_bool(const Source& source) {
  std::string lower = source.value;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "1" || lower == "true" || lower == "yes" || lower == "on") return true;
  if (lower == "0" || lower == "false" || lower == "no" || lower == "off") return false;
  return bad_value(source, "expected 1 or 0 (also true/false, yes/no, on/off)");
}

Result<std::string> parse_level(const Source& source) {
  static constexpr std::array<std::string_view, 7> k_levels = {"trace", "debug",    "info", "warn",
                                                               "error", "critical", "off"};
  std::string lower = source.value;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "warning") lower = "warn";
  if (std::find(k_levels.begin(), k_levels.end(), lower) == k_levels.end()) {
    return bad_value(source, "expected one of trace, debug, info, warn, error, critical, off");
  }
  return lower;
}

Result<std::string> parse_agent(const Source& source) {
  // Agent ids are shown in status lines and the log: keep them printable and short.
  bool printable = std::all_of(source.value.begin(), source.value.end(),
                               [](unsigned char c) { return std::isgraph(c) != 0; });
  if (!printable || source.value.size() > 63) {
    return bad_value(source, "expected up to 63 printable characters without spaces");
  }
  return source.value;
}

// A group number, or the name of a group in /etc/group. Not getgrnam: the shim is linked
// statically, where NSS needs the shared libraries of the very glibc it was built with; groups
// that only a directory service knows are given by number. A name that is not found is an
// error: a typo must not silently make a private queue.
Result<gid_t> parse_group(const Source& source, const std::string& group_file) {
  gid_t gid = 0;
  const std::string& text = source.value;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), gid);
  if (ec == std::errc{} && end == text.data() + text.size()) return gid;
  std::ifstream groups(group_file);
  std::string line;
  while (std::getline(groups, line)) {
    // name:password:gid:members
    auto first = line.find(':');
    auto second = first == std::string::npos ? first : line.find(':', first + 1);
    auto third = second == std::string::npos ? second : line.find(':', second + 1);
    if (third == std::string::npos || line.compare(0, first, text) != 0 || first != text.size()) {
      continue;
    }
    const char* number = line.data() + second + 1;
    auto [number_end, number_ec] = std::from_chars(number, line.data() + third, gid);
    if (number_ec == std::errc{} && number_end == line.data() + third) return gid;
  }
  return bad_value(source, "expected a group number, or the name of a group in " + group_file);
}

Result<Priority> parse_launch_priority(const Source& source) {
  auto level = parse_priority(source.value);
  if (!level || *level == Priority::urgent) {
    return bad_value(source,
                     "expected low, normal or high (or 0, 1, 2); urgent is given by "
                     "vq-admin urgent <pid>");
  }
  return *level;
}

Result<double> parse_age_bound(const Source& source) {
  auto seconds = parse_seconds(source, k_max_timeout_s);
  if (!seconds || *seconds < 1) {
    return bad_value(
        source, "expected seconds from 1 to " + std::to_string(static_cast<long>(k_max_timeout_s)));
  }
  return seconds;
}

// "1073741824", "512M", "1.5GiB": binary units (K, M, G, T; "i" and "B" optional).
Result<std::uint64_t> parse_bytes(const Source& source) {
  const std::string& text = source.value;
  char* end = nullptr;
  errno = 0;
  double value = std::strtod(text.c_str(), &end);
  std::string unit(end);
  if (!unit.empty() && unit.back() == 'B') unit.pop_back();
  if (!unit.empty() && unit.back() == 'i') unit.pop_back();
  static constexpr std::string_view k_units = "KMGT";
  double scale = 1;
  if (unit.size() == 1 && k_units.find(unit[0]) != std::string_view::npos) {
    scale = std::exp2(10.0 * static_cast<double>(k_units.find(unit[0]) + 1));
  } else if (!unit.empty()) {
    scale = 0;
  }
  double bytes = value * scale;
  if (end == text.c_str() || errno != 0 || scale == 0 || !std::isfinite(bytes) || bytes < 0 ||
      bytes > 0x1p62 || !std::isdigit(static_cast<unsigned char>(text[0]))) {
    return bad_value(source, "expected a size in bytes, or with a unit: 512M, 1.5G (binary units)");
  }
  return static_cast<std::uint64_t>(bytes);
}

Result<double> parse_percent(const Source& source, double max) {
  auto value = parse_seconds(source, max);
  if (!value) {
    return bad_value(source,
                     "expected a percentage from 0 to " + std::to_string(static_cast<int>(max)));
  }
  return *value;
}

Result<MemoryReserve> parse_reserve(const Source& source) {
  MemoryReserve reserve;
  if (source.value.ends_with("%")) {
    Source number{source.name, source.value.substr(0, source.value.size() - 1)};
    auto percent = parse_percent(number, 90);
    if (!percent) return bad_value(source, "expected a size (512M) or a percentage from 0% to 90%");
    reserve.percent = *percent;
    return reserve;
  }
  VQ_TRY_ASSIGN(bytes, parse_bytes(source));
  reserve.bytes = *bytes;
  if (*bytes == 0) reserve.percent = 0;
  return reserve;
}

// Applies one optional variable: parse it if set, store it, or report its error.
template <typename T, typename Parse>
bool apply(const std::optional<Source>& source, Parse parse, T& target,
           std::optional<Error>& error) {
  if (!source || error) return true;
  auto parsed = parse(*source);
  if (!parsed) {
    error = parsed.error();
    return false;
  }
  target = std::move(parsed.value());
  return true;
}

// The XDG base directory spec ignores a relative $XDG_STATE_HOME; the default is under $HOME.
std::string state_home(const EnvLookup& env) {
  auto xdg = lookup(env, "XDG_STATE_HOME");
  if (xdg && xdg->value[0] == '/') return xdg->value;
  auto home = lookup(env, "HOME");
  if (home && home->value[0] == '/') return home->value + "/.local/state";
  return {};
}

// VQ_CLUSTER with its companions; the password file's line wins over a password in the URL.
Result<std::optional<cluster::ClusterSettings>> parse_cluster(const EnvLookup& env) {
  auto url = lookup(env, "VQ_CLUSTER");
  if (!url) return std::optional<cluster::ClusterSettings>();
  VQ_TRY_ASSIGN(settings, cluster::parse_cluster_url(url->value));
  if (auto file = lookup(env, "VQ_CLUSTER_PASSWORD_FILE")) {
    VQ_TRY_ASSIGN(password, cluster::read_password_file(file->value));
    settings->password = *password;
  }
  VQ_TRY(cluster::check_user_has_password(*settings));
  if (auto queue = lookup(env, "VQ_CLUSTER_QUEUE")) {
    VQ_TRY_ASSIGN(name, cluster::parse_queue_name(queue->value));
    settings->queue = *name;
  }
  if (auto limit = lookup(env, "VQ_CLUSTER_LIMIT")) {
    VQ_TRY_ASSIGN(value, cluster::parse_cluster_limit(limit->value));
    settings->limit = *value;
  }
  if (auto ttl = lookup(env, "VQ_CLUSTER_TTL")) {
    VQ_TRY_ASSIGN(value, cluster::parse_cluster_ttl(ttl->value));
    settings->ttl = *value;
  }
  auto host = lookup(env, "VQ_CLUSTER_HOST");
  if (host) {
    VQ_TRY_ASSIGN(name, cluster::parse_host_name(host->value));
    settings->host_name = *name;
  } else {
    settings->host_name = cluster::this_host_name();
  }
  return std::optional<cluster::ClusterSettings>(std::move(*settings));
}

// Memory-aware admission and workers per run (issue 16): VQ_MEMORY_* and VQ_WORKERS.
void load_memory_settings(const EnvLookup& env, Config& config, std::optional<Error>& error) {
  apply(lookup(env, "VQ_MEMORY_ADMISSION"), parse_bool, config.memory_admission, error);
  apply(lookup(env, "VQ_MEMORY_ESTIMATE"), parse_bytes, config.memory_estimate, error);
  apply(lookup(env, "VQ_MEMORY_RESERVE"), parse_reserve, config.memory_reserve, error);
  apply(lookup(env, "VQ_MEMORY_RESERVE_GROWING"), parse_bool, config.reserve_growing, error);
  apply(
      lookup(env, "VQ_MEMORY_PRESSURE"), [](const Source& s) { return parse_percent(s, 100); },
      config.memory_pressure_percent, error);

  auto workers = lookup(env, "VQ_WORKERS");
  config.workers_auto = workers && workers->value == "auto";
  if (config.workers_auto) workers.reset();
  apply(
      workers,
      [](const Source& s) -> Result<int> {
        auto count = parse_int(s, 1, k_max_workers);
        if (count) return count;
        return bad_value(
            s, "expected a whole number from 1 to " + std::to_string(k_max_workers) + ", or auto");
      },
      config.workers, error);
}

}  // namespace

EnvLookup process_env() {
  return [](const char* name) -> const char* { return std::getenv(name); };
}

bool runs_privileged() {
  return ::getauxval(AT_SECURE) != 0 || ::geteuid() != ::getuid() || ::getegid() != ::getgid();
}

EnvLookup without_user_settings(EnvLookup env) {
  return [env = std::move(env)](const char* name) -> const char* {
    std::string_view text(name);
    bool loop_guard = text == "VQ_SHIM_DEPTH" || text == "VQ_SHIM_CHAIN";
    if (!loop_guard && (text.starts_with("VQ_") || text.starts_with("VITEST_"))) return nullptr;
    return env(name);
  };
}

Result<Config> load_config(const EnvLookup& env) {
  Config config;
  std::optional<Error> error;
  auto as_is = [](const Source& s) -> Result<std::string> { return s.value; };

  apply(
      lookup(env, "VQ_QUEUE_DIR"),
      [](const Source& s) -> Result<std::string> {
        if (s.value[0] != '/') return bad_value(s, "expected an absolute path");
        return s.value;
      },
      config.queue_dir, error);
  apply(
      lookup(env, "VQ_GROUP"), [](const Source& s) { return parse_group(s, "/etc/group"); },
      config.group, error);
  auto max_processes = lookup(env, "VQ_MAX_PROCESSES", "VITEST_MAX_PROCESSES");
  config.limit_auto = max_processes && max_processes->value == "auto";
  if (config.limit_auto) max_processes.reset();
  apply(
      max_processes, [](const Source& s) { return parse_int(s, 1, k_max_limit); }, config.limit,
      error);
  apply(
      lookup(env, "VQ_QUEUE_TIMEOUT", "VITEST_QUEUE_TIMEOUT"),
      [](const Source& s) { return parse_seconds(s, k_max_timeout_s); }, config.timeout_s, error);
  std::string agent;
  if (apply(lookup(env, "VQ_AGENT_ID", "VITEST_AGENT_ID"), parse_agent, agent, error) &&
      !agent.empty()) {
    config.agent_id = agent;
  }
  apply(
      lookup(env, "VQ_PER_AGENT"), [](const Source& s) { return parse_int(s, 1, k_max_limit); },
      config.per_agent, error);
  apply(lookup(env, "VQ_LOG_LEVEL", "VITEST_LOG_LEVEL"), parse_level, config.log_level, error);
  apply(lookup(env, "VQ_DISABLE"), parse_bool, config.disable, error);
  apply(lookup(env, "VQ_FAIL_CLOSED"), parse_bool, config.fail_closed, error);
  apply(lookup(env, "VQ_SINGLE_WORKER"), parse_bool, config.single_worker, error);
  apply(lookup(env, "VQ_REAL_VITEST"), as_is, config.real_vitest, error);
  apply(lookup(env, "VQ_HOLDER"), as_is, config.holder_marker, error);
  apply(lookup(env, "VQ_PRIORITY"), parse_launch_priority, config.priority, error);
  apply(lookup(env, "VQ_PRIORITY_MAX_AGE"), parse_age_bound, config.priority_max_age_s, error);
  apply(lookup(env, "VQ_WATCH"), parse_bool, config.watch, error);
  apply(lookup(env, "VQ_WATCHER"), as_is, config.watcher, error);

  apply(
      lookup(env, "VQ_HISTORY"),
      [](const Source& s) -> Result<std::string> {
        if (s.value[0] != '/' || s.value.back() == '/') {
          return bad_value(s, "expected the absolute path of a database file");
        }
        return s.value;
      },
      config.history, error);
  config.state_home = state_home(env);

  load_memory_settings(env, config, error);

  if (auto cluster = parse_cluster(env); !cluster && !error) {
    error = cluster.error();
  } else if (cluster) {
    config.cluster = std::move(*cluster);
  }

  if (error) return *error;
  return config;
}

}  // namespace vq
