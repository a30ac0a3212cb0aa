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
  apply(
      lookup(env, "VQ_MAX_PROCESSES", "VITEST_MAX_PROCESSES"),
      [](const Source& s) { return parse_int(s, 1, k_max_limit); }, config.limit, error);
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

  if (error) return *error;
  return config;
}

}  // namespace vq
