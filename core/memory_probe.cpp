#include "memory_probe.h"

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

namespace vq {
namespace {

// v1 reports "no limit" as the largest page-aligned 63-bit value; anything this big is none.
constexpr std::uint64_t k_no_limit = std::uint64_t{1} << 62;

std::optional<std::string> read_text(const std::string& path) {
  std::ifstream file(path);
  if (!file) return std::nullopt;
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

std::optional<std::uint64_t> parse_number(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<std::uint64_t> read_number(const std::string& path) {
  auto text = read_text(path);
  return text ? parse_number(*text) : std::nullopt;
}

// The value of "key N" (memory.stat) or "Key:   N kB" (meminfo, scaled to bytes).
std::optional<std::uint64_t> keyed_value(const std::string& text, std::string_view key) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::string_view view(line);
    if (!view.starts_with(key)) continue;
    view.remove_prefix(key.size());
    if (view.empty() || (view[0] != ' ' && view[0] != ':')) continue;
    std::size_t start = view.find_first_not_of(": \t");
    if (start == std::string_view::npos) return std::nullopt;
    view.remove_prefix(start);
    const bool kib = view.ends_with(" kB");
    if (kib) view.remove_suffix(3);
    auto value = parse_number(view);
    if (value && kib) *value *= 1024;
    return value;
  }
  return std::nullopt;
}

struct MemoryFiles {
  const char* limit;
  const char* usage;
  const char* inactive;  // key in memory.stat
};
constexpr MemoryFiles k_v1{"memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file"};
constexpr MemoryFiles k_v2{"memory.max", "memory.current", "inactive_file"};

// One cgroup directory's limit and working set; nullopt when it has no limit.
std::optional<CgroupRoom> room_of(const std::string& dir, const MemoryFiles& files) {
  auto limit = read_number(dir + "/" + files.limit);  // v2's "max" is no number: no limit
  if (!limit || *limit >= k_no_limit) return std::nullopt;
  auto usage = read_number(dir + "/" + files.usage);
  if (!usage) return std::nullopt;
  auto stat = read_text(dir + "/memory.stat");
  std::uint64_t inactive = stat ? keyed_value(*stat, files.inactive).value_or(0) : 0;
  return CgroupRoom{dir, *limit, *usage > inactive ? *usage - inactive : 0};
}

// The tightest room from `mount` + `path` up to `mount` itself.
std::optional<CgroupRoom> tightest(const std::string& mount, std::string path,
                                   const MemoryFiles& files) {
  std::optional<CgroupRoom> best;
  for (;;) {
    auto room = room_of(mount + path, files);
    if (room && (!best || room->headroom() < best->headroom())) best = room;
    if (path.empty() || path == "/") return best;
    path.erase(path.find_last_of('/'));
  }
}

struct CgroupLine {
  bool v2 = false;
  std::string path;
};

// The caller's memory cgroup paths from /proc/self/cgroup: "ID:controllers:path" lines, the v1
// one listing "memory", the v2 one "0::path".
std::vector<CgroupLine> memory_lines(const ProbeRoots& roots) {
  std::vector<CgroupLine> found;
  auto text = read_text(roots.proc + "/self/cgroup");
  if (!text) return found;
  std::istringstream lines(*text);
  std::string line;
  while (std::getline(lines, line)) {
    auto first = line.find(':');
    auto second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) continue;
    std::string controllers = "," + line.substr(first + 1, second - first - 1) + ",";
    std::string path = line.substr(second + 1);
    if (line.compare(0, first, "0") == 0 && controllers == ",,") found.push_back({true, path});
    if (controllers.find(",memory,") != std::string::npos) found.push_back({false, path});
  }
  return found;
}

// Where v2 is mounted: at the root on a pure v2 system, at unified/ on a hybrid one.
std::string v2_mount(const ProbeRoots& roots) {
  std::ifstream pure(roots.cgroup + "/cgroup.controllers");
  return pure ? roots.cgroup : roots.cgroup + "/unified";
}

}  // namespace

MemInfo read_meminfo(const ProbeRoots& roots) {
  MemInfo info;
  auto text = read_text(roots.proc + "/meminfo");
  if (!text) return info;
  info.total = keyed_value(*text, "MemTotal");
  info.available = keyed_value(*text, "MemAvailable");
  return info;
}

std::optional<CgroupRoom> read_cgroup_room(const ProbeRoots& roots) {
  std::optional<CgroupRoom> best;
  for (const CgroupLine& line : memory_lines(roots)) {
    std::string mount = line.v2 ? v2_mount(roots) : roots.cgroup + "/memory";
    auto room = tightest(mount, line.path == "/" ? "" : line.path, line.v2 ? k_v2 : k_v1);
    if (room && (!best || room->headroom() < best->headroom())) best = room;
  }
  return best;
}

std::optional<std::string> own_memory_cgroup(const ProbeRoots& roots) {
  for (const CgroupLine& line : memory_lines(roots)) {
    if (line.v2) continue;
    std::string dir = roots.cgroup + "/memory" + (line.path == "/" ? "" : line.path);
    if (std::ifstream(dir + "/memory.limit_in_bytes")) return dir;
  }
  for (const CgroupLine& line : memory_lines(roots)) {
    std::string dir = v2_mount(roots) + (line.path == "/" ? "" : line.path);
    if (line.v2 && std::ifstream(dir + "/cgroup.procs")) return dir;
  }
  return std::nullopt;
}

std::optional<PressureSample> parse_pressure(std::string_view text) {
  // "some avg10=0.12 avg60=0.05 avg300=0.01 total=123456"
  if (!text.starts_with("some ")) return std::nullopt;
  auto line = text.substr(0, text.find('\n'));
  auto avg = line.find("avg10=");
  auto total = line.find("total=");
  if (avg == std::string_view::npos || total == std::string_view::npos) return std::nullopt;
  PressureSample sample;
  sample.avg10_percent = std::strtod(std::string(line.substr(avg + 6)).c_str(), nullptr);
  auto value = parse_number(line.substr(total + 6));
  if (!value) return std::nullopt;
  sample.total_us = *value;
  return sample;
}

std::optional<PressureSample> read_memory_pressure(const ProbeRoots& roots) {
  auto text = read_text(roots.proc + "/pressure/memory");
  return text ? parse_pressure(*text) : std::nullopt;
}

void PressureGauge::update(const PressureSample& sample,
                           std::chrono::steady_clock::time_point now) {
  if (!m_last) {
    m_percent = sample.avg10_percent;
  } else {
    double elapsed_us = std::chrono::duration<double, std::micro>(now - m_last_at).count();
    // Readings closer than this say little (PSI itself updates every 2 s for avg10).
    if (elapsed_us < 200'000) return;
    double stalled = sample.total_us > m_last->total_us
                         ? static_cast<double>(sample.total_us - m_last->total_us)
                         : 0.0;
    m_percent = stalled / elapsed_us * 100.0;
  }
  m_last = sample;
  m_last_at = now;
  if (m_percent > m_threshold) m_high = true;
  if (m_percent < m_threshold / 2) m_high = false;
}

}  // namespace vq
