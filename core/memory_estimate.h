// How much memory a run of a project is expected to peak at, learned from its past runs: a
// decayed high percentile of their peaks plus a margin (the Kubernetes VPA recommender's rule),
// a conservative default for a project never seen, raised after a run was killed by the OOM
// killer. Pure: the caller brings the past runs (the run history) and the time.
#pragma once

#include <cstdint>
#include <vector>

namespace vq {

inline constexpr std::uint64_t k_mib = std::uint64_t{1} << 20;
inline constexpr std::uint64_t k_gib = std::uint64_t{1} << 30;

struct PastRun {
  std::int64_t ended_at_ms = 0;
  std::uint64_t peak_bytes = 0;
  bool oom_killed = false;  // its peak is where it was stopped, not what it needed
};

struct EstimateRules {
  double percentile = 0.9;
  double margin = 0.15;                      // added on top of the percentile
  double half_life_ms = 24.0 * 3600 * 1000;  // a run a day old weighs half a fresh one
  std::uint64_t floor_bytes = 256 * k_mib;   // below this, figures are noise
  std::uint64_t cold_bytes = k_gib;          // a project never seen
  double oom_bump = 1.2;                     // an OOM-killed run needed at least this much more
  std::uint64_t oom_min_bump_bytes = 100 * k_mib;
};

struct MemoryEstimate {
  std::uint64_t bytes = 0;
  int samples = 0;                     // past runs it was learned from; 0: the cold default
  std::uint64_t percentile_bytes = 0;  // the decayed percentile before the margin; 0 when cold
};

MemoryEstimate estimate_memory(const std::vector<PastRun>& runs, std::int64_t now_ms,
                               const EstimateRules& rules = {});

}  // namespace vq
