// The shim's own exit statuses. Any other status is the real vitest's.
#pragma once

namespace vq {

inline constexpr int k_exit_unavailable = 69;  // queue unusable and VQ_FAIL_CLOSED=1
inline constexpr int k_exit_timeout = 75;      // EX_TEMPFAIL: waited longer than the timeout
inline constexpr int k_exit_config = 78;       // EX_CONFIG: a VQ_* variable has a bad value
inline constexpr int k_exit_cannot_run = 126;  // found but cannot run, or leads back to the shim
inline constexpr int k_exit_not_found = 127;   // no real vitest found
// Interrupted while waiting: 128 + the signal (130 for SIGINT, 143 for SIGTERM).

}  // namespace vq
