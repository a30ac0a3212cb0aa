#include "process_identity.h"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>

namespace vq {
namespace {

template <typename T>
bool parse_number(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

std::optional<std::string> read_small_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char buffer[1024];
  ssize_t n = ::read(fd, buffer, sizeof buffer);
  ::close(fd);
  if (n <= 0) return std::nullopt;
  return std::string(buffer, static_cast<size_t>(n));
}

}  // namespace

std::optional<ProcStat> parse_proc_stat(std::string_view text) {
  // Fields after the command name start at field 3 (state); the name ends at the last ')'.
  auto close = text.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view rest = text.substr(close + 1);
  ProcStat stat;
  int field = 2;
  bool have_parent = false, have_start = false;
  while (!rest.empty() && field < 24) {
    auto start = rest.find_first_not_of(' ');
    if (start == std::string_view::npos) break;
    rest = rest.substr(start);
    auto end = rest.find_first_of(" \n");
    std::string_view token = rest.substr(0, end);
    ++field;
    if (field == 3 && !token.empty()) stat.state = token[0];
    if (field == 4) have_parent = parse_number(token, stat.parent);
    if (field >= 14 && field <= 17) {
      std::uint64_t ticks = 0;
      if (parse_number(token, ticks)) stat.cpu_ticks += ticks;
    }
    if (field == 22) have_start = parse_number(token, stat.start_time);
    if (field == 24) parse_number(token, stat.rss_pages);
    if (end == std::string_view::npos) break;
    rest = rest.substr(end);
  }
  if (!have_parent || !have_start) return std::nullopt;
  return stat;
}

std::optional<ProcStat> read_proc_stat(pid_t pid) {
  auto text = read_small_file("/proc/" + std::to_string(pid) + "/stat");
  if (!text) return std::nullopt;
  return parse_proc_stat(*text);
}

std::optional<ProcessIdentity> identify(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  auto stat = read_proc_stat(pid);
  if (!stat) return std::nullopt;
  return ProcessIdentity{pid, stat->start_time};
}

ProcessIdentity self_identity() {
  pid_t pid = ::getpid();
  auto identity = identify(pid);
  return identity ? *identity : ProcessIdentity{pid, 0};
}

bool is_in_tree_of(pid_t pid, const ProcessIdentity& ancestor) {
  // Bounded walk: pid 1 or an unreadable entry ends it; a cycle cannot outlast the bound.
  for (int depth = 0; depth < 4096 && pid > 1; ++depth) {
    auto stat = read_proc_stat(pid);
    if (!stat) return false;
    if (pid == ancestor.pid) return stat->start_time == ancestor.start_time;
    pid = stat->parent;
  }
  return false;
}

std::string to_marker(const ProcessIdentity& process) {
  return std::to_string(process.pid) + ":" + std::to_string(process.start_time);
}

std::optional<ProcessIdentity> parse_marker(std::string_view marker) {
  auto colon = marker.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  ProcessIdentity process;
  if (!parse_number(marker.substr(0, colon), process.pid) || process.pid <= 0) return std::nullopt;
  if (!parse_number(marker.substr(colon + 1), process.start_time)) return std::nullopt;
  return process;
}

}  // namespace vq
