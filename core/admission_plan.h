// Whose turn it is: first come, first served, with the per-agent cap. Pure logic.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace vq {

struct Claimant {
  std::string agent;
  bool agent_explicit = false;  // only explicit agent ids are capped per agent
};

struct AdmissionRules {
  int limit = 4;
  int per_agent = 1;
  bool paused = false;
};

enum class WaiterState { running, stopped, dead };

// True when `me` may take a slot now. `ahead` holds the waiters with older tickets, oldest
// first. Walking them in order, each running one takes a free slot before `me`; a dead or
// stopped waiter, or one whose explicit agent is at its cap, is passed over without taking one,
// so it never stalls the ones behind it. `state_of(i)` is asked about ahead[i] only when the
// answer matters, and the walk stops as soon as the free slots are spoken for: a long queue
// costs a waiter little.
bool is_my_turn(const std::vector<Claimant>& holders, const std::vector<Claimant>& ahead,
                const Claimant& me, const AdmissionRules& rules,
                const std::function<WaiterState(std::size_t index)>& state_of);

}  // namespace vq
