#include "admission_plan.h"

#include <map>

namespace vq {

bool is_my_turn(const std::vector<Claimant>& holders, const std::vector<Claimant>& ahead,
                const Claimant& me, const AdmissionRules& rules,
                const std::function<WaiterState(std::size_t index)>& state_of) {
  int free = rules.limit - static_cast<int>(holders.size());
  if (rules.paused || free <= 0) return false;

  std::map<std::string, int> running;
  for (const Claimant& holder : holders) {
    if (holder.agent_explicit) ++running[holder.agent];
  }
  auto at_cap = [&](const Claimant& claimant) {
    return claimant.agent_explicit && running[claimant.agent] >= rules.per_agent;
  };
  for (std::size_t i = 0; i < ahead.size(); ++i) {
    if (at_cap(ahead[i])) continue;
    if (state_of(i) != WaiterState::running) continue;
    if (ahead[i].agent_explicit) ++running[ahead[i].agent];
    if (--free == 0) return false;
  }
  return !at_cap(me);
}

}  // namespace vq
