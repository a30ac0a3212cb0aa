#include "run_tally.h"

#include <charconv>
#include <cmath>
#include <span>

namespace vq::history {
namespace {

void observe(std::vector<CounterDelta>& deltas, const std::string& family,
             std::span<const double> bounds, double value) {
  for (double bound : bounds) {
    if (value <= bound)
      deltas.push_back({family + "_bucket", "le=\"" + prometheus_number(bound) + "\"", 1});
  }
  deltas.push_back({family + "_bucket", "le=\"+Inf\"", 1});
  deltas.push_back({family + "_sum", "", value});
  deltas.push_back({family + "_count", "", 1});
}

}  // namespace

std::string prometheus_number(double value) {
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (std::isnan(value)) return "NaN";
  char text[32];
  auto [end, ec] = std::to_chars(text, text + sizeof text, value);
  return ec == std::errc{} ? std::string(text, end) : "NaN";
}

std::vector<CounterDelta> tally(const RunRecord& run) {
  std::vector<CounterDelta> deltas;
  deltas.push_back({k_runs_total, "end=\"" + std::string(end_name(run.end)) + "\"", 1});
  if (run.admitted_at_ms) {
    observe(deltas, k_wait_family, k_wait_bounds_s, static_cast<double>(wait_ms(run)) / 1000);
  }
  if (run.peak_memory_bytes) {
    observe(deltas, k_peak_family, k_peak_bounds_bytes,
            static_cast<double>(*run.peak_memory_bytes));
  }
  if (run.cpu_time_ms) {
    deltas.push_back({k_cpu_total, "", static_cast<double>(*run.cpu_time_ms) / 1000});
  }
  return deltas;
}

}  // namespace vq::history
