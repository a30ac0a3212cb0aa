// The watcher's work after its run ended (the history row, the learned estimate) serves later
// launches, not this run: it is done at SCHED_IDLE, on a core nothing else wants, so the next
// launches are not slowed by the rows of the runs before them (bench/, scenario overhead). Only
// for a bounded time: on a machine that keeps every core busy an idle-class process may wait
// for ever, and one that holds the history's write lock meanwhile would make the other writers
// give up after k_busy_timeout_ms. After the bound the watcher goes back to the normal class,
// at the nice level it had. A process that may not leave SCHED_IDLE again (an unprivileged one
// under the default RLIMIT_NICE of 0) goes to nice 19 instead, for good: a smaller share, never
// none.
#pragma once

#include <chrono>
#include <cstdint>

namespace vq::watch {

// Well below the history's busy timeout (1 s), so a watcher starved while holding the write
// lock is back in the normal class before another writer gives up waiting for it.
inline constexpr std::chrono::milliseconds k_idle_upkeep_bound{250};

// Moves the calling (single-threaded) process to SCHED_IDLE for at most `bound`; a SIGALRM
// then moves it back. Where it could not come back, to nice 19. Fail open: where any step is
// refused it stays as it was.
void lower_priority_for_upkeep(std::chrono::milliseconds bound = k_idle_upkeep_bound);

// The kernel's rule for leaving SCHED_IDLE at nice level `nice`: with CAP_SYS_NICE, or when
// RLIMIT_NICE (`nice_limit`, RLIM_INFINITY as UINT64_MAX) is at least 20 - nice.
bool may_leave_idle_class(int nice, std::uint64_t nice_limit, bool has_cap_sys_nice);

}  // namespace vq::watch
