#include "estimate_refresh.h"

#include <sys/stat.h>
#include <time.h>

#include <utility>

#include "estimate_cache.h"

namespace vq {
namespace {

// Longer than any filesystem's timestamp granularity (a jiffy, or 1 s on old ones).
constexpr std::int64_t k_recent_ns = 2'000'000'000;

std::int64_t realtime_ns() {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

}  // namespace

EstimateRefresh::EstimateRefresh(std::string queue_dir, std::string project)
    : m_queue_dir(std::move(queue_dir)), m_project(std::move(project)) {
  if (!m_project.empty()) note_seen(stamp());
}

std::optional<std::uint64_t> EstimateRefresh::learned() {
  if (m_project.empty()) return std::nullopt;
  Stamp now = stamp();
  if (now == m_seen && !m_recent) return std::nullopt;
  note_seen(now);
  if (!now.exists) return std::nullopt;
  auto estimate = cached_estimate(m_queue_dir, m_project);
  if (!estimate) return std::nullopt;
  return estimate->bytes;
}

void EstimateRefresh::note_seen(const Stamp& stamp) {
  m_seen = stamp;
  m_recent = stamp.exists && realtime_ns() - stamp.mtime_ns < k_recent_ns;
}

// Size and change time together: a rewrite within one timestamp tick almost always changes
// the size too (another figure, another project's line).
EstimateRefresh::Stamp EstimateRefresh::stamp() const {
  struct stat st {};
  const std::string path = m_queue_dir + "/" + k_estimates_file;
  if (::stat(path.c_str(), &st) != 0) return Stamp{};
  return Stamp{true, st.st_ino, st.st_size,
               static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

}  // namespace vq
