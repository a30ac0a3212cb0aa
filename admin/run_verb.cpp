#include "run_verb.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "exit_codes.h"
#include "install_layout.h"

namespace vq::admin {

int run_as_agent(const std::string& agent_id, const std::vector<std::string>& vitest_args) {
  std::string shim = shim_path();
  if (shim.empty()) {
    std::fprintf(stderr,
                 "vq-admin: error: the vitest shim is not installed beside vq-admin (expected %s)"
                 " — reinstall with install/vq-install\n",
                 below_prefix("lib/vq/shims/vitest").c_str());
    return k_exit_no_shim;
  }
  // The shim reads its agent from the environment; VQ_AGENT_ID beats the seed's VITEST_AGENT_ID.
  ::setenv("VQ_AGENT_ID", agent_id.c_str(), 1);
  std::vector<char*> argv{const_cast<char*>("vitest")};
  for (const std::string& arg : vitest_args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  ::execv(shim.c_str(), argv.data());
  std::fprintf(stderr,
               "vq-admin: error: cannot run the vitest shim %s: %s — reinstall with"
               " install/vq-install\n",
               shim.c_str(), std::strerror(errno));
  return k_exit_no_shim;
}

}  // namespace vq::admin
