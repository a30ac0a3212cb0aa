#include "oom_counter.h"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <utility>

namespace vq::watch {
namespace {

std::string read_text(const std::string& path) {
  std::string text;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) {
    text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return text;
}

bool readable(const std::string& path) {
  return ::access(path.c_str(), R_OK) == 0;
}

}  // namespace

std::string oom_counter_file(std::string_view proc_cgroup_text, const std::string& cgroup_root) {
  std::string unified_path;
  bool has_unified = false;
  // Lines are "ID:CONTROLLERS:PATH"; "0::PATH" is the v2 hierarchy.
  while (!proc_cgroup_text.empty()) {
    std::size_t end = proc_cgroup_text.find('\n');
    std::string_view line = proc_cgroup_text.substr(0, end);
    proc_cgroup_text = end == std::string_view::npos ? "" : proc_cgroup_text.substr(end + 1);
    std::size_t first = line.find(':');
    std::size_t second = first == std::string_view::npos ? first : line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    std::string_view controllers = line.substr(first + 1, second - first - 1);
    std::string path(line.substr(second + 1));
    if (controllers == "memory" || controllers.find("memory,") != std::string_view::npos ||
        controllers.ends_with(",memory")) {
      std::string file = cgroup_root + "/memory" + path + "/memory.oom_control";
      if (readable(file)) return file;
    }
    if (line.substr(0, first) == "0" && controllers.empty()) {
      unified_path = path;
      has_unified = true;
    }
  }
  if (!has_unified) return "";
  for (const char* mount : {"", "/unified"}) {
    std::string file = cgroup_root + mount + unified_path + "/memory.events";
    if (readable(file)) return file;
  }
  return "";
}

std::optional<std::uint64_t> parse_oom_kill(std::string_view text) {
  constexpr std::string_view k_key = "oom_kill ";
  for (std::size_t at = 0; (at = text.find(k_key, at)) != std::string_view::npos;
       at += k_key.size()) {
    if (at != 0 && text[at - 1] != '\n') continue;  // not oom_kill_disable, not mid-line
    std::uint64_t value = 0;
    const char* digits = text.data() + at + k_key.size();
    auto [end, ec] = std::from_chars(digits, text.data() + text.size(), value);
    if (ec == std::errc()) return value;
  }
  return std::nullopt;
}

OomCounter OomCounter::of(pid_t pid) {
  OomCounter counter;
  counter.m_file = oom_counter_file(read_text("/proc/" + std::to_string(pid) + "/cgroup"));
  return counter;
}

OomCounter OomCounter::at(std::string file) {
  OomCounter counter;
  counter.m_file = std::move(file);
  return counter;
}

std::optional<std::uint64_t> OomCounter::read() const {
  if (m_file.empty()) return std::nullopt;
  return parse_oom_kill(read_text(m_file));
}

}  // namespace vq::watch
