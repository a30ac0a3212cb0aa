// Becoming the real vitest: the argv and environment the shim execs, and what happens when the
// kernel refuses them.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace vq {

// The environment for the real vitest: the shim's own, with `set` names replaced or added.
class ExecEnvironment {
 public:
  void set(const std::string& name, const std::string& value);
  std::vector<std::string> build() const;
  // The shim's own environment with only the change to `name`, if any.
  std::vector<std::string> build_only(const std::string& name) const;

 private:
  using Changes = std::vector<std::pair<std::string, std::string>>;
  static std::vector<std::string> merged(const Changes& changes);
  Changes m_changes;
};

struct VitestExec {
  std::string path;
  // argv up to vitest's own arguments: the shim's argv[0], or for a launch the preload
  // redirected, the launcher's (node, its options and the script).
  std::vector<char*> launcher;
  std::vector<std::string> given_args;  // vitest's arguments as the caller gave them
  std::vector<std::string> run_args;    // the same with vq's single-worker flags
  ExecEnvironment environment;          // vq's additions (markers, single-worker variables)
};

// Execs `vitest` with vq's flags and variables. When they push the launch over the kernel's
// size limit (E2BIG), execs it again as the caller gave it, with a warning: a run without
// one-worker forcing beats one that cannot start. That exec keeps VQ_SHIM_DEPTH alone (a few
// bytes), so a real vitest that leads back to the shim still ends after k_max_shim_depth
// rounds. Returns only by exiting with the shim's status.
[[noreturn]] void exec_vitest(const VitestExec& vitest);

}  // namespace vq
