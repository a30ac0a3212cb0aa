// The order of the line: priority levels, the age bonus that keeps a low level from starving,
// and fair turns between agents at one effective level. Pure logic over the waiters' standings
// and a clock reading; the admission policy (admission_policy.h) walks the line in this order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vq {

// Levels, lowest first. `urgent` is given only by `vq-admin urgent`: it is above anything the
// age bonus reaches, so an urgent waiter is next.
enum class Priority : std::uint32_t { low = 0, normal = 1, high = 2, urgent = 3 };
inline constexpr Priority k_top_aged_priority = Priority::high;
inline constexpr double k_default_age_bound_s = 240;

std::string_view priority_name(Priority level);
// "low", "normal", "high", "urgent" (any case), or their numbers 0..3.
std::optional<Priority> parse_priority(std::string_view text);

// What the order needs to know about one waiter.
struct Standing {
  Priority level = Priority::normal;
  std::uint64_t since_ms = 0;      // wall clock when it started waiting
  std::uint64_t age_bound_ms = 0;  // by then a waiter of any level is at the top aged level
  std::uint64_t ticket = 0;        // arrival: the tie-break
  std::string agent;
  // Fair turns: how many runs of its agent were running or waiting when it arrived. Fixed at
  // arrival, so an agent whose first run is admitted does not get its next one back to turn 0.
  std::uint32_t turn = 0;
};

// The turn of a run of `agent` arriving now: its agent's runs already running or waiting.
std::uint32_t arrival_turn(const std::string& agent, const std::vector<std::string>& running,
                           const std::vector<std::string>& waiting);

// Levels gained by waiting: one per half of the age bound (the span from low to high is two
// levels), never past the top aged level; none for high and urgent.
int age_bonus(const Standing& standing, std::uint64_t now_ms);
Priority effective_priority(const Standing& standing, std::uint64_t now_ms);

// One waiter's place in the line and why.
struct Placement {
  std::size_t index = 0;  // into the standings given
  Priority effective = Priority::normal;
  int round = 0;  // its turn, or 0 once it has waited its whole age bound
};

// The line, first to admit first: higher effective level first; at one level, lower turns first
// (one agent's burst of runs has turns 0, 1, 2, ...: another agent's single run, turn 0, goes
// behind the burst's first only); then by ticket. A waiter that has waited its whole age bound
// is at the top aged level with turn 0: only older waiters and urgent ones go before it, so its
// wait is bounded whatever arrives later.
std::vector<Placement> line_order(const std::vector<Standing>& standings, std::uint64_t now_ms);

}  // namespace vq
