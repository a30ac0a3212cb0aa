// The admission policy: whose turn it is, and while waiting, whom to watch. Pure logic over
// what one pass under the update lock saw; no locks, no processes, no time.
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

// Asked about ahead[i] only when the answer matters; may be slow (reads /proc), so callers cache.
using StateOf = std::function<WaiterState(std::size_t index)>;

// What one pass saw, in the policy's terms: who holds, who waits ahead (oldest first), and me.
struct QueueScene {
  std::vector<Claimant> holding;
  std::vector<Claimant> ahead;
  Claimant me;
  AdmissionRules rules;
};

// The walk behind both questions below: in ticket order, each running waiter ahead that is not
// at its agent's cap takes a free slot before `me`; dead or stopped ones, and capped ones, are
// passed over without taking one, so they never stall the ones behind. The walk stops as soon
// as the free slots are spoken for, so a long queue costs a waiter little.
struct TurnWalk {
  bool mine = false;                // a free slot is left for `me`
  std::vector<std::size_t> served;  // indexes into `ahead` that take the free slots first
};
TurnWalk walk_turns(const QueueScene& scene, const StateOf& state_of);

// True when `me` may take a slot now.
bool is_my_turn(const std::vector<Claimant>& holders, const std::vector<Claimant>& ahead,
                const Claimant& me, const AdmissionRules& rules, const StateOf& state_of);

// While `me` waits: whom its sleep must watch so that it wakes when its turn may have come,
// and as few others wake as possible.
struct WaitPlan {
  bool watch_holders = false;            // a holder's exit may admit `me`
  std::vector<std::size_t> watch_ahead;  // waiters ahead whose death may make `me` next
};

// `pokeable`: `me` has a waiter record and its own wake FIFO, so the waiter ahead can tell it
// when it was admitted. Then only a waiter that one more free slot would admit watches the
// holders; the others watch the nearest live waiters ahead. With explicit agents anywhere,
// whose turn a holder's exit brings depends on the holder's agent: everyone watches everyone.
WaitPlan plan_wait(const QueueScene& scene, bool pokeable, const StateOf& state_of);

// Whom `me`, just admitted, tells that their turn may have come: the waiters right behind it,
// oldest first, up to and including the first running one (stopped ones in between rescan as
// soon as they continue). `behind` counts them; `state_of` is asked about behind[i].
std::vector<std::size_t> successors_to_wake(std::size_t behind, const StateOf& state_of);

// A waiter watches at most this many waiters ahead or behind; the rescan tick covers the rest.
inline constexpr std::size_t k_max_watched_waiters = 16;

}  // namespace vq
