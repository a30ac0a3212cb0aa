// vq-admin's exit statuses, documented in the README. They agree with the shim's
// (shim/exit_status.h) where the meaning is the same.
#pragma once

namespace vq::admin {

inline constexpr int k_exit_ok = 0;
inline constexpr int k_exit_problems = 1;      // doctor found problems
inline constexpr int k_exit_usage = 2;         // bad command line (unknown verb, option, value)
inline constexpr int k_exit_refused = 3;       // reset would affect live runs; --force overrides
inline constexpr int k_exit_no_waiter = 4;     // priority, urgent: that pid is not waiting
inline constexpr int k_exit_unavailable = 69;  // queue unusable: directory, table, lock file
inline constexpr int k_exit_lock_stuck = 75;   // the update lock is held by a stopped process
inline constexpr int k_exit_config = 78;       // a VQ_* / VITEST_* variable has a bad value
inline constexpr int k_exit_no_shim = 127;     // run: the vitest shim is not installed

}  // namespace vq::admin
