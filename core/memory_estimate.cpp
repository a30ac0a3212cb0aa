#include "memory_estimate.h"

#include <algorithm>
#include <cmath>

namespace vq {
namespace {

struct Weighted {
  double bytes = 0;
  double weight = 0;
};

// An OOM-killed run's peak is a lower bound of what it needed: counted bumped.
double sample_bytes(const PastRun& run, const EstimateRules& rules) {
  double peak = static_cast<double>(run.peak_bytes);
  if (!run.oom_killed) return peak;
  return std::max(peak * rules.oom_bump, peak + static_cast<double>(rules.oom_min_bump_bytes));
}

}  // namespace

MemoryEstimate estimate_memory(const std::vector<PastRun>& runs, std::int64_t now_ms,
                               const EstimateRules& rules) {
  std::vector<Weighted> samples;
  double total = 0;
  for (const PastRun& run : runs) {
    double age_ms = std::max<double>(0, static_cast<double>(now_ms - run.ended_at_ms));
    double weight = std::exp2(-age_ms / rules.half_life_ms);
    samples.push_back({sample_bytes(run, rules), weight});
    total += weight;
  }
  MemoryEstimate estimate;
  if (samples.empty() || total <= 0) {
    estimate.bytes = rules.cold_bytes;
    return estimate;
  }
  std::sort(samples.begin(), samples.end(),
            [](const Weighted& a, const Weighted& b) { return a.bytes < b.bytes; });
  // The smallest peak at or above which lies (1 − percentile) of the weight.
  double reached = 0;
  double at = samples.back().bytes;
  for (const Weighted& sample : samples) {
    reached += sample.weight;
    if (reached >= rules.percentile * total - 1e-9) {
      at = sample.bytes;
      break;
    }
  }
  estimate.samples = static_cast<int>(samples.size());
  estimate.percentile_bytes = static_cast<std::uint64_t>(at);
  estimate.bytes = std::max(static_cast<std::uint64_t>(at * (1 + rules.margin)), rules.floor_bytes);
  return estimate;
}

}  // namespace vq
