#include "admission_plan.h"

#include <algorithm>
#include <map>

namespace vq {

std::vector<std::uint64_t> admissible_tickets(const std::vector<Claimant>& holders,
                                              std::vector<QueuedClaimant> waiters,
                                              const AdmissionRules& rules) {
  std::vector<std::uint64_t> admitted;
  int free = rules.limit - static_cast<int>(holders.size());
  if (rules.paused || free <= 0) return admitted;

  std::map<std::string, int> running;
  for (const auto& holder : holders) {
    if (holder.agent_explicit) ++running[holder.agent];
  }
  std::sort(waiters.begin(), waiters.end(),
            [](const QueuedClaimant& a, const QueuedClaimant& b) { return a.ticket < b.ticket; });
  for (const auto& waiter : waiters) {
    if (free == 0) break;
    if (waiter.agent_explicit) {
      int& count = running[waiter.agent];
      if (count >= rules.per_agent) continue;
      ++count;
    }
    admitted.push_back(waiter.ticket);
    --free;
  }
  return admitted;
}

}  // namespace vq
