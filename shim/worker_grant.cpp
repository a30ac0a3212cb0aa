#include "worker_grant.h"

#include <sched.h>

#include <algorithm>

#include "worker_budget.h"

namespace vq {
namespace {

int usable_cpus() {
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  return ::sched_getaffinity(0, sizeof cpus, &cpus) == 0 ? CPU_COUNT(&cpus) : 1;
}

// The holders other than this run, from one pass under the update lock; none when the lock
// does not come (this run then counts as alone on the CPUs, which its own slot bounds).
std::vector<Holder> other_holders(QueueStore& queue, const RunInfo& run) {
  auto pass = queue.update();
  if (!pass) return {};
  std::vector<Holder> holders = pass->scan_holders(run.agent.id);
  std::erase_if(holders, [&](const Holder& h) { return h.pid == run.self.pid; });
  return holders;
}

}  // namespace

int grant_auto_workers(QueueStore& queue, const RunInfo& run, RoomCheck* room) {
  const std::vector<Holder> others = other_holders(queue, run);
  WorkerScene scene;
  scene.cpus = usable_cpus();
  for (const Holder& holder : others) scene.others_workers += holder_workers(holder.pid);
  scene.estimate = run.estimate_bytes;
  if (room != nullptr) {
    RoomVerdict verdict = room->judge(others, run.estimate_bytes);
    scene.room_known = verdict.known;
    scene.room = verdict.room;
  }
  return auto_workers(scene);
}

}  // namespace vq
