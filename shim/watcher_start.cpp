#include "watcher_start.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <vector>

namespace vq {
namespace {

// Closes every descriptor (close_range, Linux 5.9+; else one by one up to the limit).
void close_all_descriptors() {
  if (::close_range(0, ~0U, 0) == 0) return;
  rlimit limit{};
  int highest = ::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY
                    ? static_cast<int>(std::min<rlim_t>(limit.rlim_cur, 1 << 20))
                    : 1024;
  for (int fd = 0; fd < highest; ++fd) ::close(fd);
}

// In the grandchild: detach and become vq-watch. Never returns.
[[noreturn]] void become_watcher(char** argv) {
  ::setsid();
  // The shim blocked the signals that end a wait; vq-watch starts with none blocked.
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  close_all_descriptors();
  int null_fd = ::open("/dev/null", O_RDWR);  // lands on 0, the lowest free descriptor
  if (null_fd == 0) {
    ::dup2(0, 1);
    ::dup2(0, 2);
  }
  ::execv(argv[0], argv);
  ::_exit(127);
}

}  // namespace

std::string watcher_program(const Config& config) {
  if (!config.watcher.empty()) return config.watcher;
  char buffer[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  if (n <= 0) return "";
  std::string self(buffer, static_cast<std::size_t>(n));
  std::size_t slash = self.rfind('/');
  if (slash == std::string::npos) return "";
  return self.substr(0, slash) + "/../vq-watch";
}

void start_watcher(const std::string& program, const watch::WatchRequest& request) {
  if (program.empty() || ::access(program.c_str(), X_OK) != 0) return;
  // Built before fork: the children only exec or exit.
  std::vector<std::string> args = watch::to_arguments(request);
  args.insert(args.begin(), program);
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t middle = ::fork();
  if (middle < 0) return;
  if (middle == 0) {
    // The watcher's parent exits now, so init (or a subreaper) adopts it: it is never a child
    // of vitest, which this process becomes.
    if (::fork() == 0) become_watcher(argv.data());
    ::_exit(0);
  }
  // Reaped before exec, so vitest starts with no child of ours.
  while (::waitpid(middle, nullptr, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace vq
