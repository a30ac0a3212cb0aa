// How many vitest workers an admitted run gets under VQ_WORKERS=auto: more than one when CPUs
// and memory room allow, against a machine-wide budget of one worker per CPU shared by every
// run holding a slot. Pure, apart from holder_workers, which reads what a holder was granted.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string_view>

namespace vq {

struct WorkerScene {
  int cpus = 1;                // the CPUs this launch may run on
  int others_workers = 0;      // Σ workers granted to the other runs holding slots
  std::int64_t room = 0;       // memory room beside the other holders (room_policy), before ours
  std::uint64_t estimate = 0;  // this run's memory estimate with one worker; 0: unknown
  bool room_known = false;     // no readable memory figure: CPUs alone decide
};

// workers = clamp(min(cpus − others_workers, 1 + ⌊(room − estimate) / estimate⌋), 1, cpus):
// each worker beyond the first is assumed to need as much again as the whole run's estimate
// (its files may peak as high as the run did with one worker). Always at least 1.
int auto_workers(const WorkerScene& scene);

// The worker count in a process environment ("NAME=VALUE\0…", as /proc/PID/environ): the
// VITEST_MAX_WORKERS vq exports; none when absent or not a number.
std::optional<int> workers_in_environment(std::string_view environ_text);

// What holder `pid` (the vitest the shim became) was granted, from /proc/PID/environ; none
// when unreadable (another user's process) or not exec'd with vq's variables (yet).
std::optional<int> granted_workers(pid_t pid);
// granted_workers, or 1 (the seed's rule) when it cannot be read: what the budget counts.
inline int holder_workers(pid_t pid) {
  return granted_workers(pid).value_or(1);
}

}  // namespace vq
