#include "worker_budget.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <iterator>
#include <string>

namespace vq {

int auto_workers(const WorkerScene& scene) {
  const int cpus = std::max(scene.cpus, 1);
  int by_cpus = cpus - std::max(scene.others_workers, 0);
  int by_memory = cpus;
  if (scene.room_known && scene.estimate > 0) {
    const auto estimate = static_cast<std::int64_t>(scene.estimate);
    const std::int64_t spare = scene.room - estimate;
    by_memory =
        spare < 0 ? 1 : static_cast<int>(std::min<std::int64_t>(1 + spare / estimate, cpus));
  }
  return std::clamp(std::min(by_cpus, by_memory), 1, cpus);
}

std::optional<int> workers_in_environment(std::string_view environ_text) {
  constexpr std::string_view k_name = "VITEST_MAX_WORKERS=";
  std::size_t at = 0;
  while (at < environ_text.size()) {
    std::size_t end = environ_text.find('\0', at);
    if (end == std::string_view::npos) end = environ_text.size();
    std::string_view entry = environ_text.substr(at, end - at);
    if (entry.substr(0, k_name.size()) == k_name) {
      std::string_view value = entry.substr(k_name.size());
      int workers = 0;
      auto [next, ec] = std::from_chars(value.data(), value.data() + value.size(), workers);
      if (ec != std::errc{} || next != value.data() + value.size() || workers < 1) return {};
      return workers;
    }
    at = end + 1;
  }
  return std::nullopt;
}

std::optional<int> granted_workers(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  return workers_in_environment(text);
}

}  // namespace vq
