#include "leftovers.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string_view>

namespace vq::admin {
namespace {

constexpr std::size_t k_command_bytes = 200;

std::string read_all(int dir_fd, const std::string& path, std::size_t limit) {
  std::string text;
  int fd = ::openat(dir_fd, path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text;
  char buffer[8192];
  for (ssize_t n; text.size() < limit && (n = ::read(fd, buffer, sizeof buffer)) > 0;) {
    text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return text;
}

// The value of VQ_HOLDER in a NUL-separated environment text.
std::optional<std::string_view> holder_marker(std::string_view environ_text) {
  constexpr std::string_view k_name = "VQ_HOLDER=";
  for (std::size_t at = 0; at < environ_text.size();) {
    std::size_t end = environ_text.find('\0', at);
    if (end == std::string_view::npos) end = environ_text.size();
    std::string_view entry = environ_text.substr(at, end - at);
    if (entry.starts_with(k_name)) return entry.substr(k_name.size());
    at = end + 1;
  }
  return std::nullopt;
}

// Field 5 (process group) of /proc/PID/stat, and whether the process has exited (a zombie).
std::optional<pid_t> live_process_group(int proc_fd, pid_t pid) {
  std::string stat = read_all(proc_fd, std::to_string(pid) + "/stat", 1024);
  std::size_t close = stat.rfind(')');
  if (close == std::string::npos || close + 4 >= stat.size()) return std::nullopt;
  if (stat[close + 2] == 'Z' || stat[close + 2] == 'X') return std::nullopt;
  std::size_t at = close + 2;
  for (int field = 3; field < 5; ++field) at = stat.find(' ', at) + 1;
  pid_t group = 0;
  auto [end, ec] = std::from_chars(stat.data() + at, stat.data() + stat.size(), group);
  if (ec != std::errc() || at == 0) return std::nullopt;
  return group;
}

bool holder_has_ended(const ProcessIdentity& holder) {
  auto stat = read_proc_stat(holder.pid);
  return !stat || stat->start_time != holder.start_time || has_exited(*stat);
}

std::string command_of(int proc_fd, pid_t pid) {
  std::string text = read_all(proc_fd, std::to_string(pid) + "/cmdline", k_command_bytes);
  if (text.size() > k_command_bytes) text.resize(k_command_bytes);
  while (!text.empty() && text.back() == '\0') text.pop_back();
  std::replace(text.begin(), text.end(), '\0', ' ');
  return text;
}

std::vector<pid_t> caller_pids(DIR* dir) {
  std::vector<pid_t> pids;
  const uid_t uid = ::getuid();
  const pid_t self = ::getpid();
  while (dirent* entry = ::readdir(dir)) {
    pid_t pid = 0;
    const char* name = entry->d_name;
    auto [end, ec] = std::from_chars(name, name + std::strlen(name), pid);
    if (ec != std::errc() || *end != '\0' || pid <= 0 || pid == self) continue;
    struct stat st {};
    if (::fstatat(::dirfd(dir), name, &st, 0) == 0 && st.st_uid == uid) pids.push_back(pid);
  }
  std::sort(pids.begin(), pids.end());
  return pids;
}

}  // namespace

std::vector<Leftover> find_leftovers(const std::string& proc) {
  std::vector<Leftover> found;
  DIR* dir = ::opendir(proc.c_str());
  if (dir == nullptr) return found;
  const int proc_fd = ::dirfd(dir);
  std::map<std::string, bool> ended;  // by marker: each holder judged once
  for (pid_t pid : caller_pids(dir)) {
    std::string environ_text = read_all(proc_fd, std::to_string(pid) + "/environ", 1 << 20);
    auto marker = holder_marker(environ_text);
    if (!marker) continue;
    auto holder = parse_marker(*marker);
    if (!holder) continue;
    auto [judged, fresh] = ended.try_emplace(std::string(*marker), false);
    if (fresh) judged->second = holder_has_ended(*holder);
    if (!judged->second) continue;
    auto group = live_process_group(proc_fd, pid);
    if (!group) continue;
    found.push_back(Leftover{pid, *group, *holder, command_of(proc_fd, pid)});
  }
  ::closedir(dir);
  return found;
}

EndingPlan plan_ending(const std::vector<Leftover>& leftovers, const std::string& proc) {
  EndingPlan plan;
  std::set<pid_t> leftover_pids;
  std::set<pid_t> groups;
  for (const Leftover& leftover : leftovers) {
    leftover_pids.insert(leftover.pid);
    groups.insert(leftover.process_group);
  }
  // Which groups hold anything that is not a leftover (the user's shell, say).
  std::set<pid_t> mixed;
  DIR* dir = ::opendir(proc.c_str());
  if (dir != nullptr) {
    const int proc_fd = ::dirfd(dir);
    while (dirent* entry = ::readdir(dir)) {
      pid_t pid = 0;
      const char* name = entry->d_name;
      auto [end, ec] = std::from_chars(name, name + std::strlen(name), pid);
      if (ec != std::errc() || *end != '\0' || leftover_pids.count(pid) != 0) continue;
      auto group = live_process_group(proc_fd, pid);
      if (group && groups.count(*group) != 0) mixed.insert(*group);
    }
    ::closedir(dir);
  }
  for (pid_t group : groups) {
    if (mixed.count(group) == 0 && group > 1) plan.groups.push_back(group);
  }
  for (const Leftover& leftover : leftovers) {
    if (mixed.count(leftover.process_group) != 0 || leftover.process_group <= 1) {
      plan.processes.push_back(leftover.pid);
    }
  }
  return plan;
}

}  // namespace vq::admin
