// The `vitest` shim: find the real vitest, wait for a slot, force one worker, become vitest.
#pragma once

namespace vq {

// Returns only when it does not exec: with the shim's own exit status (exit_status.h).
int run_shim(int argc, char** argv);

}  // namespace vq
