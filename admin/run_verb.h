// `vq-admin run <agent_id> [vitest args…]`: the seed's explicit form
// (`vitest-global-queue.sh run agent-1 --run`). It becomes the installed shim with
// VQ_AGENT_ID set, so admission, output and exit status are exactly the shim's.
#pragma once

#include <string>
#include <vector>

namespace vq::admin {

// Returns only when the shim cannot be executed, with vq-admin's exit status. `queue_dir`
// (empty: not given) becomes the shim's VQ_QUEUE_DIR; the shim judges it as it judges any.
int run_as_agent(const std::string& agent_id, const std::vector<std::string>& vitest_args,
                 const std::string& queue_dir);

}  // namespace vq::admin
