#include "run_verb.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "exit_codes.h"
#include "install_layout.h"

extern char** environ;

namespace vq::admin {
namespace {

// This process's environment with `assignments` ("NAME=value") replacing any earlier value:
// the shim's environment, changed only in the exec'd image.
std::vector<std::string> shim_environment(const std::vector<std::string>& assignments) {
  std::vector<std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    bool replaced = false;
    for (const std::string& assignment : assignments) {
      std::string_view name(assignment.data(), assignment.find('=') + 1);
      replaced = replaced || text.starts_with(name);
    }
    if (!replaced) env.emplace_back(text);
  }
  env.insert(env.end(), assignments.begin(), assignments.end());
  return env;
}

std::vector<char*> pointers_to(std::vector<std::string>& texts) {
  std::vector<char*> pointers;
  for (std::string& text : texts) pointers.push_back(text.data());
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

int run_as_agent(const std::string& agent_id, const std::vector<std::string>& vitest_args,
                 const std::string& queue_dir) {
  std::string shim = shim_path();
  if (shim.empty()) {
    std::fprintf(stderr,
                 "vq-admin: error: the vitest shim is not installed beside vq-admin (expected %s)"
                 " — reinstall with install/vq-install\n",
                 below_prefix("lib/vq/shims/vitest").c_str());
    return k_exit_no_shim;
  }
  // The shim reads its agent from the environment; VQ_AGENT_ID beats the seed's VITEST_AGENT_ID.
  std::vector<std::string> assignments{"VQ_AGENT_ID=" + agent_id};
  if (!queue_dir.empty()) assignments.push_back("VQ_QUEUE_DIR=" + queue_dir);
  std::vector<std::string> env = shim_environment(assignments);
  std::vector<std::string> args{"vitest"};
  args.insert(args.end(), vitest_args.begin(), vitest_args.end());
  std::vector<char*> argv = pointers_to(args);
  std::vector<char*> envp = pointers_to(env);
  ::execve(shim.c_str(), argv.data(), envp.data());
  std::fprintf(stderr,
               "vq-admin: error: cannot run the vitest shim %s: %s — reinstall with"
               " install/vq-install\n",
               shim.c_str(), std::strerror(errno));
  return k_exit_no_shim;
}

}  // namespace vq::admin
