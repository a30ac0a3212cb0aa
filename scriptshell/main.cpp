// vq-script-shell: see script_shell.h. Silent on success; it replaces itself with the shell, so
// arguments, environment (PATH aside), exit status and signals are that shell's own.
#include "script_shell.h"

#include <unistd.h>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

// The exit status a shell gives for a command it cannot run.
constexpr int k_exit_cannot_run = 127;

std::string own_executable() {
  std::array<char, 4096> buffer{};
  const ssize_t length = readlink("/proc/self/exe", buffer.data(), buffer.size() - 1);
  return length > 0 ? std::string(buffer.data(), static_cast<std::size_t>(length)) : std::string();
}

}  // namespace

int main(int argc, char** argv) {
  namespace ss = vq::scriptshell;
  const std::string self = own_executable();
  if (!self.empty()) {
    const char* path = std::getenv("PATH");
    const std::string shims = ss::shim_dir_beside(self);
    setenv("PATH", ss::path_with_shims_first(path ? path : "", shims).c_str(), 1);
  }
  std::string shell = ss::chained_shell(std::getenv(ss::k_chained_shell_variable));
  // $0 is what the package manager would have given the shell: its own name.
  argv[0] = shell.data();
  (void)argc;
  execvp(shell.c_str(), argv);
  std::fprintf(stderr,
               "vq: error: the script shell cannot run %s: %s; set %s to an existing shell "
               "or re-run vq-install\n",
               shell.c_str(), std::strerror(errno), ss::k_chained_shell_variable);
  return k_exit_cannot_run;
}
