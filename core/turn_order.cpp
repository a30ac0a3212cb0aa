#include "turn_order.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace vq {
namespace {

constexpr std::array<std::string_view, 4> k_names = {"low", "normal", "high", "urgent"};
constexpr int k_aged_span = static_cast<int>(k_top_aged_priority) - static_cast<int>(Priority::low);

int as_int(Priority level) {
  return static_cast<int>(level);
}

}  // namespace

std::string_view priority_name(Priority level) {
  std::size_t i = static_cast<std::size_t>(level);
  return i < k_names.size() ? k_names[i] : "unknown";
}

std::optional<Priority> parse_priority(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (std::size_t i = 0; i < k_names.size(); ++i) {
    if (lower == k_names[i] || lower == std::to_string(i)) return static_cast<Priority>(i);
  }
  return std::nullopt;
}

int age_bonus(const Standing& standing, std::uint64_t now_ms) {
  const int room = as_int(k_top_aged_priority) - as_int(standing.level);
  if (room <= 0) return 0;
  if (standing.age_bound_ms == 0 || now_ms <= standing.since_ms) return 0;
  // Integer arithmetic: every process computes the same bonus from the same record and clock.
  const std::uint64_t waited = now_ms - standing.since_ms;
  const std::uint64_t gained = waited * k_aged_span / standing.age_bound_ms;
  return static_cast<int>(std::min<std::uint64_t>(gained, static_cast<std::uint64_t>(room)));
}

Priority effective_priority(const Standing& standing, std::uint64_t now_ms) {
  return static_cast<Priority>(as_int(standing.level) + age_bonus(standing, now_ms));
}

std::uint32_t arrival_turn(const std::string& agent, const std::vector<std::string>& running,
                           const std::vector<std::string>& waiting) {
  auto count = [&](const std::vector<std::string>& agents) {
    return static_cast<std::uint32_t>(std::count(agents.begin(), agents.end(), agent));
  };
  return count(running) + count(waiting);
}

std::vector<Placement> line_order(const std::vector<Standing>& standings, std::uint64_t now_ms) {
  std::vector<Placement> line;
  line.reserve(standings.size());
  for (std::size_t i = 0; i < standings.size(); ++i) {
    const Standing& s = standings[i];
    const bool aged_out = now_ms >= s.since_ms && now_ms - s.since_ms >= s.age_bound_ms;
    line.push_back(
        Placement{i, effective_priority(s, now_ms), aged_out ? 0 : static_cast<int>(s.turn)});
  }
  std::sort(line.begin(), line.end(), [&](const Placement& a, const Placement& b) {
    if (a.effective != b.effective) return a.effective > b.effective;
    if (a.round != b.round) return a.round < b.round;
    return standings[a.index].ticket < standings[b.index].ticket;
  });
  return line;
}

}  // namespace vq
