#include "admission_policy.h"

#include <algorithm>
#include <map>

namespace vq {

TurnWalk walk_turns(const QueueScene& scene, const StateOf& state_of) {
  TurnWalk walk;
  const AdmissionRules& rules = scene.rules;
  int free = rules.limit - static_cast<int>(scene.holding.size());
  if (rules.paused || free <= 0) return walk;

  std::map<std::string, int> running;
  for (const Claimant& holder : scene.holding) {
    if (holder.agent_explicit) ++running[holder.agent];
  }
  auto at_cap = [&](const Claimant& claimant) {
    return claimant.agent_explicit && running[claimant.agent] >= rules.per_agent;
  };
  for (std::size_t i = 0; i < scene.ahead.size(); ++i) {
    if (at_cap(scene.ahead[i])) continue;
    if (state_of(i) != WaiterState::running) continue;
    if (scene.ahead[i].agent_explicit) ++running[scene.ahead[i].agent];
    walk.served.push_back(i);
    if (--free == 0) return walk;
  }
  walk.mine = !at_cap(scene.me);
  return walk;
}

bool is_my_turn(const std::vector<Claimant>& holders, const std::vector<Claimant>& ahead,
                const Claimant& me, const AdmissionRules& rules, const StateOf& state_of) {
  return walk_turns(QueueScene{holders, ahead, me, rules}, state_of).mine;
}

namespace {

bool any_explicit(const std::vector<Claimant>& claimants) {
  return std::any_of(claimants.begin(), claimants.end(),
                     [](const Claimant& c) { return c.agent_explicit; });
}

}  // namespace

WaitPlan plan_wait(const QueueScene& scene, bool pokeable, const StateOf& state_of) {
  const bool capped =
      scene.me.agent_explicit || any_explicit(scene.holding) || any_explicit(scene.ahead);
  const bool targeted = !capped && pokeable;
  const int holders = static_cast<int>(scene.holding.size());
  const int free = std::max(scene.rules.limit - holders, 0);
  WaitPlan plan;
  plan.watch_holders = true;
  if (targeted) {
    // My turn if one more slot were free (unpaused): I am among the first running waiters, as
    // many as the slots already free plus one.
    QueueScene one_more = scene;
    one_more.rules = AdmissionRules{holders + free + 1, scene.rules.per_agent, false};
    plan.watch_holders = walk_turns(one_more, state_of).mine;
  }
  // Gone ones are not watched: a zombie's pidfd is readable at once and would spin the waiter.
  // Stopped ones hold nobody up, so a targeted waiter passes them over.
  const std::size_t wanted = targeted ? static_cast<std::size_t>(free + 1) : k_max_watched_waiters;
  const std::size_t count = scene.ahead.size();
  for (std::size_t n = 0; n < count && n < k_max_watched_waiters; ++n) {
    if (plan.watch_ahead.size() >= wanted) break;
    std::size_t i = count - 1 - n;
    WaiterState state = state_of(i);
    if (state == WaiterState::dead) continue;
    if (targeted && state == WaiterState::stopped) continue;
    plan.watch_ahead.push_back(i);
  }
  return plan;
}

std::vector<std::size_t> successors_to_wake(std::size_t behind, const StateOf& state_of) {
  std::vector<std::size_t> found;
  for (std::size_t i = 0; i < behind && i < k_max_watched_waiters; ++i) {
    WaiterState state = state_of(i);
    if (state == WaiterState::dead) continue;
    found.push_back(i);
    if (state == WaiterState::running) break;
  }
  return found;
}

}  // namespace vq
