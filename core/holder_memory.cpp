#include "holder_memory.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include <charconv>
#include <string_view>

#include "process_tree_usage.h"

namespace vq {

std::optional<std::uint64_t> read_pss_bytes(const std::string& proc, pid_t pid) {
  std::string path = proc + "/" + std::to_string(pid) + "/smaps_rollup";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char buffer[2048];
  ssize_t n = ::read(fd, buffer, sizeof buffer - 1);
  ::close(fd);
  if (n <= 0) return std::nullopt;
  std::string_view text(buffer, static_cast<std::size_t>(n));
  auto at = text.find("\nPss:");
  if (at == std::string_view::npos) return std::nullopt;
  text.remove_prefix(at + 5);
  text.remove_prefix(std::min(text.find_first_not_of(' '), text.size()));
  std::uint64_t kib = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), kib);
  if (ec != std::errc{}) return std::nullopt;
  return kib * 1024;
}

std::optional<std::uint64_t> ProcTreeMemory::current_bytes(pid_t root) {
  ProcessSnapshot snapshot = ProcessSnapshot::take_trees({root}, m_proc);
  std::vector<pid_t> tree = snapshot.tree_pids(root);
  if (tree.empty()) return std::nullopt;
  std::uint64_t total = 0;
  for (pid_t pid : tree) {
    auto pss = read_pss_bytes(m_proc, pid);
    // One process unreadable: the tree's RSS, so the figure never mixes the two measures.
    if (!pss) return snapshot.tree_usage(root)->rss_bytes;
    total += *pss;
  }
  return total;
}

}  // namespace vq
