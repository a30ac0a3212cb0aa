#include "vitest_exec.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "exit_status.h"
#include "say.h"

extern char** environ;

namespace vq {
namespace {

// Returns the errno of the failed execve.
int exec_image(const std::string& path, const std::vector<char*>& launcher,
               const std::vector<std::string>& args, const std::vector<std::string>& env_entries) {
  std::vector<char*> argv = launcher;
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const std::string& entry : env_entries) envp.push_back(const_cast<char*>(entry.c_str()));
  envp.push_back(nullptr);
  ::execve(path.c_str(), argv.data(), envp.data());
  return errno;
}

[[noreturn]] void exit_cannot_exec(const std::string& path, int err) {
  if (err == E2BIG) {
    say("vq: error: cannot run the real vitest " + path + ": " + std::strerror(err) +
        " — its arguments and environment exceed the kernel's limit even as given; pass fewer"
        " arguments (test filters, a config's include) or trim the environment");
    std::_Exit(k_exit_cannot_run);
  }
  say("vq: error: cannot run the real vitest " + path + ": " + std::strerror(err) +
      " — check that it is executable, or set VQ_REAL_VITEST");
  std::_Exit(err == ENOENT ? k_exit_not_found : k_exit_cannot_run);
}

}  // namespace

void ExecEnvironment::set(const std::string& name, const std::string& value) {
  // A second set of a name replaces the first (VQ_WORKERS=auto sets the worker variables again
  // once admitted): a duplicate entry would leave getenv() reading the first.
  for (auto& change : m_changes) {
    if (change.first == name) {
      change.second = value;
      return;
    }
  }
  m_changes.emplace_back(name, value);
}

std::vector<std::string> ExecEnvironment::build() const {
  return merged(m_changes);
}

std::vector<std::string> ExecEnvironment::build_only(const std::string& name) const {
  Changes only;
  for (const auto& change : m_changes) {
    if (change.first == name) only.push_back(change);
  }
  return merged(only);
}

std::vector<std::string> ExecEnvironment::merged(const Changes& changes) {
  std::vector<std::string> entries;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    bool replaced = false;
    for (const auto& [name, value] : changes) {
      if (text.size() > name.size() && text.starts_with(name) && text[name.size()] == '=') {
        replaced = true;
      }
    }
    if (!replaced) entries.emplace_back(text);
  }
  for (const auto& [name, value] : changes) entries.push_back(name + "=" + value);
  return entries;
}

void exec_vitest(const VitestExec& vitest) {
  int err = exec_image(vitest.path, vitest.launcher, vitest.run_args, vitest.environment.build());
  if (err == E2BIG) {
    say("vq: warning: " + vitest.path + " with vq's additions (one-worker flags and variables," +
        " shim chain, nested-run marker) exceeds the kernel's limit on arguments and" +
        " environment (" + std::strerror(err) + ") — running it as launched, without them;" +
        " pass fewer arguments or trim the environment to get them back");
    err = exec_image(vitest.path, vitest.launcher, vitest.given_args,
                     vitest.environment.build_only("VQ_SHIM_DEPTH"));
  }
  exit_cannot_exec(vitest.path, err);
}

}  // namespace vq
