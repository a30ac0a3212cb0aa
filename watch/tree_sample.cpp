#include "tree_sample.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <vector>

#include "process_tree_usage.h"

namespace vq::watch {
namespace {

// The file's text; nullopt when it cannot be read for a reason other than the process being
// gone (EACCES: another user's process, or ptrace rules).
std::optional<std::string> read_text(const std::string& path) {
  std::string text;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT || errno == ESRCH ? std::optional(text) : std::nullopt;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0) {
    text.append(buffer, static_cast<std::size_t>(n));
  }
  int error = errno;
  ::close(fd);
  if (n < 0 && error != ESRCH) return std::nullopt;
  return text;
}

std::int64_t ticks_to_ms(std::uint64_t ticks) {
  static const auto ticks_per_s = static_cast<std::uint64_t>(::sysconf(_SC_CLK_TCK));
  return static_cast<std::int64_t>(ticks * 1000 / ticks_per_s);
}

}  // namespace

std::optional<std::int64_t> parse_pss_bytes(std::string_view smaps_rollup) {
  constexpr std::string_view k_label = "\nPss:";
  std::size_t at = smaps_rollup.find(k_label);
  if (at == std::string_view::npos) return std::nullopt;
  std::size_t digits = smaps_rollup.find_first_not_of(' ', at + k_label.size());
  if (digits == std::string_view::npos) return std::nullopt;
  std::int64_t kib = 0;
  auto [end, ec] =
      std::from_chars(smaps_rollup.data() + digits, smaps_rollup.data() + smaps_rollup.size(), kib);
  if (ec != std::errc()) return std::nullopt;
  return kib * 1024;
}

std::optional<TreeSample> sample_tree(pid_t root, const std::string& proc) {
  ProcessSnapshot snapshot = ProcessSnapshot::take_trees({root}, proc);
  std::optional<TreeUsage> usage = snapshot.tree_usage(root);
  if (!usage) return std::nullopt;
  TreeSample sample;
  sample.cpu_ms = ticks_to_ms(usage->cpu_ticks);
  sample.processes = usage->processes;
  // A process gone since the snapshot, or a zombie (empty text), holds no memory.
  for (pid_t pid : snapshot.tree_pids(root)) {
    auto text = read_text(proc + "/" + std::to_string(pid) + "/smaps_rollup");
    if (text && text->empty()) continue;
    auto pss = text ? parse_pss_bytes(*text) : std::nullopt;
    if (!pss) {
      sample.memory_is_rss = true;
      break;
    }
    sample.memory_bytes += *pss;
  }
  if (sample.memory_is_rss) sample.memory_bytes = static_cast<std::int64_t>(usage->rss_bytes);
  return sample;
}

}  // namespace vq::watch
