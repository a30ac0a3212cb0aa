#include "watcher_start.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <utility>
#include <vector>

#include "cpu_pin.h"
#include "oom_counter.h"

namespace vq {
namespace {

constexpr int k_pidfd_slot = 3;  // the descriptor the watcher finds the run's pidfd on
// Where a cluster watcher finds its report pipe's write end, or a pending watcher its admission
// pipe's read end (never both).
constexpr int k_channel_slot = 4;

// Closes every descriptor but `kept` (close_range, Linux 5.9+; else one by one up to the limit).
// `kept` -1 keeps none.
void close_all_descriptors_but(int kept) {
  if (kept < 0 ? ::close_range(0, ~0U, 0) == 0
               : ::close_range(0, kept - 1, 0) == 0 && ::close_range(kept + 1, ~0U, 0) == 0) {
    return;
  }
  rlimit limit{};
  int highest = ::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY
                    ? static_cast<int>(std::min<rlim_t>(limit.rlim_cur, 1 << 20))
                    : 1024;
  for (int fd = 0; fd < highest; ++fd) {
    if (fd != kept) ::close(fd);
  }
}

// Puts `fd` on `slot`, kept across exec; -1 leaves the slot free.
void place_descriptor(int fd, int slot) {
  if (fd < 0) return;
  if (fd != slot) ::dup2(fd, slot);
  ::fcntl(slot, F_SETFD, 0);
}

// The pidfd on 3 and the channel (a pipe) on 4, whichever descriptors they arrived on: each is
// first moved above both slots, so placing one never overwrites the other.
void place_kept_descriptors(int pidfd, int channel_fd) {
  if (channel_fd < 0) {
    place_descriptor(pidfd, k_pidfd_slot);
    close_all_descriptors_but(pidfd >= 0 ? k_pidfd_slot : -1);
    return;
  }
  int high_pidfd = pidfd >= 0 ? ::fcntl(pidfd, F_DUPFD, k_channel_slot + 1) : -1;
  int high_report = ::fcntl(channel_fd, F_DUPFD, k_channel_slot + 1);
  place_descriptor(high_pidfd, k_pidfd_slot);
  place_descriptor(high_report, k_channel_slot);
  if (high_pidfd < 0) ::close(k_pidfd_slot);
  ::close_range(0, 2, 0);
  if (::close_range(k_channel_slot + 1, ~0U, 0) != 0) {
    for (int fd = k_channel_slot + 1; fd < 1024; ++fd) ::close(fd);
  }
}

// In the grandchild: detach and become vq-watch. Never returns.
[[noreturn]] void become_watcher(char** argv, int pidfd, int channel_fd, bool lower_now,
                                 const CpuPin& pin) {
  // Its start (exec) on another CPU than the one the shim goes on with, then on the launcher's
  // CPUs, not the one CPU the shim was pinned to meanwhile.
  pin.move_elsewhere();
  pin.restore();
  ::setsid();
  if (lower_now) ::setpriority(PRIO_PROCESS, 0, watch::k_watcher_nice);
  // The shim blocked the signals that end a wait; vq-watch starts with none blocked.
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // The run's pidfd goes down as descriptor 3 (a cluster watcher's report pipe or a pending
  // watcher's admission pipe as 4), the only ones kept (not close-on-exec).
  place_kept_descriptors(pidfd, channel_fd);
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

namespace {

// `passed` names the slots already (pidfd aside); `channel_fd` goes down on k_channel_slot.
bool spawn_watcher(const std::string& program, watch::WatchRequest passed, int channel_fd) {
  if (program.empty() || ::access(program.c_str(), X_OK) != 0) return false;
  // A pidfd of this process (which becomes vitest), opened here so that a run ending before
  // the watcher is up still has its end seen. Without one the watcher opens its own.
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, ::getpid(), 0));
  if (pidfd >= 0) passed.pidfd = k_pidfd_slot;
  if (passed.mode == watch::WatchRequest::Mode::watch) {
    // Read before vitest starts: a run the OOM killer ends at once is still seen as such.
    const watch::OomCounter oom = watch::OomCounter::of(::getpid());
    passed.oom_file = oom.file();
    passed.oom_kills_before = oom.read();
  }
  // Built before fork: the children only exec or exit.
  std::vector<std::string> args = watch::to_arguments(passed);
  args.insert(args.begin(), program);
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  // The middle child shares this process's memory (vfork: no page tables copied, and this
  // process waits until it exits); it only makes the watcher, by the raw fork system call
  // (glibc's fork() would run its bookkeeping in memory shared with us), and exits. Pinned to
  // this CPU meanwhile, so it runs as soon as this process waits (see cpu_pin.h).
  const CpuPin pin = CpuPin::here();
  pid_t middle = ::vfork();
  if (middle < 0) {
    pin.restore();
    if (pidfd >= 0) ::close(pidfd);
    return false;
  }
  if (middle == 0) {
    // The watcher's parent exits now, so init (or a subreaper) adopts it: it is never a child
    // of vitest, which this process becomes.
    // A cluster watcher lowers itself only once admitted: until then the shim waits for it.
    if (::syscall(SYS_fork) == 0) {
      become_watcher(argv.data(), pidfd, channel_fd, passed.report_fd < 0, pin);
    }
    ::_exit(0);
  }
  // Reaped before exec, so vitest starts with no child of ours.
  while (::waitpid(middle, nullptr, 0) < 0 && errno == EINTR) {
  }
  pin.restore();  // vitest runs on the CPUs it was given
  if (pidfd >= 0) ::close(pidfd);
  return true;
}

}  // namespace

bool start_watcher(const std::string& program, const watch::WatchRequest& request, int report_fd) {
  watch::WatchRequest passed = request;
  if (report_fd >= 0) passed.report_fd = k_channel_slot;
  return spawn_watcher(program, std::move(passed), report_fd);
}

bool start_pending_watcher(const std::string& program, const watch::WatchRequest& request,
                           int admission_fd) {
  watch::WatchRequest passed = request;
  passed.admission_fd = k_channel_slot;
  return spawn_watcher(program, std::move(passed), admission_fd);
}

}  // namespace vq
