// What one run adds to the history's counters: runs by how they ended, and the wait-time,
// peak-memory and CPU figures as Prometheus histograms and sums. Kept apart from the rows
// (the `counters` table) so that pruning old rows never makes a counter go down.
#pragma once

#include <string>
#include <vector>

#include "run_record.h"

namespace vq::history {

// Upper bounds of the histogram buckets (a `+Inf` bucket follows each list).
inline constexpr double k_wait_bounds_s[] = {0.1, 0.5, 1, 5, 15, 60, 300, 900, 1800, 3600};
inline constexpr double k_peak_bounds_bytes[] = {
    64.0 * (1 << 20),   128.0 * (1 << 20),  256.0 * (1 << 20),
    512.0 * (1 << 20),  1024.0 * (1 << 20), 2048.0 * (1 << 20),
    4096.0 * (1 << 20), 8192.0 * (1 << 20), 16384.0 * (1 << 20)};

// Counter sample names, as the metrics show them.
inline constexpr const char* k_runs_total = "vq_runs_total";
inline constexpr const char* k_wait_family = "vq_run_wait_seconds";
inline constexpr const char* k_peak_family = "vq_run_peak_memory_bytes";
inline constexpr const char* k_cpu_total = "vq_run_cpu_seconds_total";

struct CounterDelta {
  std::string name;    // e.g. vq_run_wait_seconds_bucket
  std::string labels;  // e.g. le="0.5"; "" for none
  double delta = 0;
};

// A number as Prometheus text shows it: shortest exact form, "+Inf" for infinity.
std::string prometheus_number(double value);

// The increments `run` makes: one in vq_runs_total{end=...}; for an admitted run its wait in
// every wait bucket it fits, the sum and the count; likewise its peak memory when sampled; its
// CPU seconds when measured.
std::vector<CounterDelta> tally(const RunRecord& run);

}  // namespace vq::history
