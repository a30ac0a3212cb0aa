#include "process_tree_usage.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>

#include "process_identity.h"

namespace vq {
namespace {

std::string read_small_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  char buffer[1024];
  ssize_t n = ::read(fd, buffer, sizeof buffer);
  ::close(fd);
  return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : "";
}

}  // namespace

bool ProcessSnapshot::add(int proc_fd, pid_t pid) {
  char path[32];
  auto [end, ec] = std::to_chars(path, path + sizeof path - 6, pid);
  if (ec != std::errc()) return false;
  std::memcpy(end, "/stat", 6);
  int fd = ::openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char text[1024];
  ssize_t n = ::read(fd, text, sizeof text);
  ::close(fd);
  if (n <= 0) return false;
  auto stat = parse_proc_stat(std::string_view(text, static_cast<std::size_t>(n)));
  if (!stat) return false;
  m_entries[pid] = Entry{stat->parent, stat->rss_pages, stat->cpu_ticks};
  m_children[stat->parent].push_back(pid);
  return true;
}

ProcessSnapshot ProcessSnapshot::take(const std::string& proc) {
  ProcessSnapshot snapshot;
  snapshot.m_taken_at = std::chrono::steady_clock::now();
  DIR* dir = ::opendir(proc.c_str());
  if (dir == nullptr) return snapshot;
  // Every process on the machine is read (the kernel may not list children), so this is most
  // of what a status report costs: one openat relative to /proc and one read each.
  const int proc_fd = ::dirfd(dir);
  while (dirent* entry = ::readdir(dir)) {
    pid_t pid = 0;
    const char* name = entry->d_name;
    const char* name_end = name + std::strlen(name);
    auto [end, ec] = std::from_chars(name, name_end, pid);
    if (ec == std::errc() && end == name_end && pid > 0) snapshot.add(proc_fd, pid);
  }
  ::closedir(dir);
  return snapshot;
}

namespace {

// The pids in PID/task/*/children under the open /proc (each thread lists the children it
// started). Call only where the kernel has these lists; a task or process that is gone has no
// children to follow.
std::vector<pid_t> listed_children(int proc_fd, pid_t pid) {
  std::vector<pid_t> children;
  std::string tasks_path = std::to_string(pid) + "/task";
  int tasks_fd = ::openat(proc_fd, tasks_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (tasks_fd < 0) return children;
  DIR* tasks = ::fdopendir(tasks_fd);
  if (tasks == nullptr) {
    ::close(tasks_fd);
    return children;
  }
  while (dirent* entry = ::readdir(tasks)) {
    if (entry->d_name[0] == '.') continue;
    std::string file = std::string(entry->d_name) + "/children";
    int fd = ::openat(tasks_fd, file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    std::string text;
    char buffer[4096];
    for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) {
      text.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    const char* at = text.data();
    const char* end = text.data() + text.size();
    while (at < end) {
      while (at < end && (*at == ' ' || *at == '\n')) ++at;
      if (at == end) break;
      pid_t child = 0;
      auto [next, ec] = std::from_chars(at, end, child);
      if (ec != std::errc()) break;  // not a list of pids
      if (child > 0) children.push_back(child);
      at = next;
    }
  }
  ::closedir(tasks);
  return children;
}

}  // namespace

ProcessSnapshot ProcessSnapshot::take_trees(const std::vector<pid_t>& roots,
                                            const std::string& proc) {
  if (roots.empty()) {
    ProcessSnapshot snapshot;
    snapshot.m_taken_at = std::chrono::steady_clock::now();
    return snapshot;
  }
  // Without children lists the trees can only be found by reading every process.
  if (::access((proc + "/thread-self/children").c_str(), R_OK) != 0) return take(proc);
  ProcessSnapshot snapshot;
  snapshot.m_taken_at = std::chrono::steady_clock::now();
  int proc_fd = ::open(proc.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (proc_fd < 0) return snapshot;
  std::vector<pid_t> pending(roots.begin(), roots.end());
  // Bounded: a pid listed twice (a child reparented mid-walk) is read once.
  while (!pending.empty()) {
    pid_t pid = pending.back();
    pending.pop_back();
    if (snapshot.m_entries.count(pid) != 0 || !snapshot.add(proc_fd, pid)) continue;
    std::vector<pid_t> children = listed_children(proc_fd, pid);
    pending.insert(pending.end(), children.begin(), children.end());
  }
  ::close(proc_fd);
  return snapshot;
}

std::vector<pid_t> ProcessSnapshot::tree_pids(pid_t root) const {
  std::vector<pid_t> tree;
  if (m_entries.find(root) == m_entries.end()) return tree;
  std::vector<pid_t> pending{root};
  while (!pending.empty()) {
    pid_t pid = pending.back();
    pending.pop_back();
    if (m_entries.find(pid) == m_entries.end()) continue;
    tree.push_back(pid);
    if (auto children = m_children.find(pid); children != m_children.end()) {
      pending.insert(pending.end(), children->second.begin(), children->second.end());
    }
  }
  return tree;
}

std::optional<TreeUsage> ProcessSnapshot::tree_usage(pid_t root) const {
  if (m_entries.find(root) == m_entries.end()) return std::nullopt;
  static const std::uint64_t page_size = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  TreeUsage usage;
  for (pid_t pid : tree_pids(root)) {
    const Entry& entry = m_entries.at(pid);
    usage.rss_bytes += entry.rss_pages * page_size;
    usage.cpu_ticks += entry.cpu_ticks;
    ++usage.processes;
  }
  return usage;
}

std::optional<double> average_cpu_percent(const TreeUsage& usage, double seconds) {
  // Like ps's %CPU: figures for runs of a few ticks (10 ms each) are coarse, but shown.
  if (seconds <= 0) return std::nullopt;
  return static_cast<double>(usage.cpu_ticks) / static_cast<double>(::sysconf(_SC_CLK_TCK)) /
         seconds * 100.0;
}

std::optional<double> process_age_s(pid_t pid) {
  auto stat = read_proc_stat(pid);
  std::string uptime = read_small_file("/proc/uptime");
  if (!stat || uptime.empty()) return std::nullopt;
  double since_boot = std::strtod(uptime.c_str(), nullptr);
  double started =
      static_cast<double>(stat->start_time) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  return since_boot > started ? since_boot - started : 0.0;
}

std::optional<double> cpu_percent(pid_t root, const ProcessSnapshot& before,
                                  const ProcessSnapshot& after) {
  auto first = before.tree_usage(root);
  auto second = after.tree_usage(root);
  double seconds = std::chrono::duration<double>(after.taken_at() - before.taken_at()).count();
  if (!first || !second || seconds <= 0) return std::nullopt;
  // A worker exiting unreaped between the snapshots can make the sum dip; never show below 0.
  double ticks = second->cpu_ticks > first->cpu_ticks
                     ? static_cast<double>(second->cpu_ticks - first->cpu_ticks)
                     : 0.0;
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK)) / seconds * 100.0;
}

}  // namespace vq
