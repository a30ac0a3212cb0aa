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

namespace vq::admin {
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

ProcessSnapshot ProcessSnapshot::take() {
  ProcessSnapshot snapshot;
  snapshot.m_taken_at = std::chrono::steady_clock::now();
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return snapshot;
  // Every process on the machine is read (the kernel here may not list children), so this is
  // most of what a status report costs: one openat relative to /proc and one read each.
  const int proc_fd = ::dirfd(proc);
  char path[32];
  char text[1024];
  while (dirent* entry = ::readdir(proc)) {
    pid_t pid = 0;
    const char* name = entry->d_name;
    std::size_t length = std::strlen(name);
    auto [end, ec] = std::from_chars(name, name + length, pid);
    if (ec != std::errc() || *end != '\0' || pid <= 0 || length + 6 > sizeof path) continue;
    std::memcpy(path, name, length);
    std::memcpy(path + length, "/stat", 6);
    int fd = ::openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ssize_t n = ::read(fd, text, sizeof text);
    ::close(fd);
    if (n <= 0) continue;
    auto stat = parse_proc_stat(std::string_view(text, static_cast<std::size_t>(n)));
    if (!stat) continue;
    snapshot.m_entries[pid] = Entry{stat->parent, stat->rss_pages, stat->cpu_ticks};
    snapshot.m_children[stat->parent].push_back(pid);
  }
  ::closedir(proc);
  return snapshot;
}

std::optional<TreeUsage> ProcessSnapshot::tree_usage(pid_t root) const {
  if (m_entries.find(root) == m_entries.end()) return std::nullopt;
  static const std::uint64_t page_size = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  TreeUsage usage;
  std::vector<pid_t> pending{root};
  while (!pending.empty()) {
    pid_t pid = pending.back();
    pending.pop_back();
    auto entry = m_entries.find(pid);
    if (entry == m_entries.end()) continue;
    usage.rss_bytes += entry->second.rss_pages * page_size;
    usage.cpu_ticks += entry->second.cpu_ticks;
    ++usage.processes;
    if (auto children = m_children.find(pid); children != m_children.end()) {
      pending.insert(pending.end(), children->second.begin(), children->second.end());
    }
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

}  // namespace vq::admin
