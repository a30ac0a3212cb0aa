#include "process_tree_usage.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>

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
  while (dirent* entry = ::readdir(proc)) {
    pid_t pid = 0;
    const char* name = entry->d_name;
    auto [end, ec] = std::from_chars(name, name + std::strlen(name), pid);
    if (ec != std::errc() || *end != '\0' || pid <= 0) continue;
    std::string text = read_small_file("/proc/" + std::string(name) + "/stat");
    // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
    auto close = text.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(text.substr(close + 2));
    std::string field;
    Entry stat;
    // Field 3 is the first after the name; we want 4 (ppid), 14-17 (times) and 24 (rss).
    for (int number = 3; number <= 24 && fields >> field; ++number) {
      std::uint64_t value = std::strtoull(field.c_str(), nullptr, 10);
      if (number == 4) stat.parent = static_cast<pid_t>(value);
      if (number >= 14 && number <= 17) stat.cpu_ticks += value;
      if (number == 24) stat.rss_pages = value;
    }
    snapshot.m_entries[pid] = stat;
    snapshot.m_children[stat.parent].push_back(pid);
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
