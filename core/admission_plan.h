// Who may take a slot now: first come, first served, with the per-agent cap. Pure logic.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vq {

struct Claimant {
  std::string agent;
  bool agent_explicit = false;  // only explicit agent ids are capped per agent
};

struct QueuedClaimant : Claimant {
  std::uint64_t ticket = 0;
};

struct AdmissionRules {
  int limit = 4;
  int per_agent = 1;
  bool paused = false;
};

// The tickets that may take a slot now, in ticket order. Waiters are walked in ticket order and
// take the free slots; a waiter whose explicit agent is at its cap is passed over without
// consuming a slot, so it never stalls the ones behind it.
std::vector<std::uint64_t> admissible_tickets(const std::vector<Claimant>& holders,
                                              std::vector<QueuedClaimant> waiters,
                                              const AdmissionRules& rules);

}  // namespace vq
