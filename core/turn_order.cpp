#include "turn_order.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <utility>

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

std::vector<Placement> line_order(const std::vector<Standing>& standings, std::uint64_t now_ms) {
  std::vector<Placement> line;
  line.reserve(standings.size());
  for (std::size_t i = 0; i < standings.size(); ++i) {
    line.push_back(Placement{i, effective_priority(standings[i], now_ms), 0});
  }
  auto by_level_then_ticket = [&](const Placement& a, const Placement& b) {
    if (a.effective != b.effective) return a.effective > b.effective;
    return standings[a.index].ticket < standings[b.index].ticket;
  };
  std::sort(line.begin(), line.end(), by_level_then_ticket);
  std::map<std::pair<Priority, std::string>, int> seen;
  for (Placement& placed : line)
    placed.round = seen[{placed.effective, standings[placed.index].agent}]++;
  std::stable_sort(line.begin(), line.end(), [](const Placement& a, const Placement& b) {
    if (a.effective != b.effective) return a.effective > b.effective;
    return a.round < b.round;
  });
  return line;
}

}  // namespace vq
