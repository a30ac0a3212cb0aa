// What the machine says about memory room: MemAvailable, the caller's memory cgroup headroom
// (v1 and v2) and memory pressure (PSI). Every probe reads below a root the caller gives, so the
// tests point them at fixture trees instead of the real /proc and /sys/fs/cgroup.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vq {

struct ProbeRoots {
  std::string proc = "/proc";
  std::string cgroup = "/sys/fs/cgroup";  // v1 controllers below it (memory/), v2 at it or unified/
};

struct MemInfo {
  std::optional<std::uint64_t> total;      // MemTotal
  std::optional<std::uint64_t> available;  // MemAvailable: host-wide, blind to cgroup limits
};
MemInfo read_meminfo(const ProbeRoots& roots);

// The tightest memory limit on the caller's cgroup and its ancestors. Working set = usage −
// inactive file: raw usage counts page cache and reads nearly full on any busy cgroup.
struct CgroupRoom {
  std::string path;  // the cgroup directory whose limit is tightest
  std::uint64_t limit = 0;
  std::uint64_t working_set = 0;
  std::uint64_t headroom() const { return limit > working_set ? limit - working_set : 0; }
};
// nullopt: no memory limit on the caller's cgroup or any ancestor (or none readable).
std::optional<CgroupRoom> read_cgroup_room(const ProbeRoots& roots);

// The memory cgroup directory of the caller (v1 memory controller, else v2), for tests and
// tools that create cgroups below it; nullopt when /proc/self/cgroup names none that exists.
std::optional<std::string> own_memory_cgroup(const ProbeRoots& roots);

// /proc/pressure/memory's "some" line: the share of time some task stalled on memory.
struct PressureSample {
  double avg10_percent = 0;
  std::uint64_t total_us = 0;
};
std::optional<PressureSample> read_memory_pressure(const ProbeRoots& roots);
std::optional<PressureSample> parse_pressure(std::string_view text);

// Memory pressure judged from polled PSI totals (unprivileged PSI triggers need kernel 6.4;
// polling works on 6.1): the first reading goes by avg10, later ones by the stall time between
// readings. High above `threshold_percent`; cleared only below half of it, so admission does not
// flap at the threshold.
class PressureGauge {
 public:
  explicit PressureGauge(double threshold_percent) : m_threshold(threshold_percent) {}
  void update(const PressureSample& sample, std::chrono::steady_clock::time_point now);
  bool high() const { return m_high; }
  double percent() const { return m_percent; }

 private:
  double m_threshold;
  bool m_high = false;
  double m_percent = 0;
  std::optional<PressureSample> m_last;
  std::chrono::steady_clock::time_point m_last_at;
};

}  // namespace vq
