// A native stand-in for vitest, driven by environment variables, for the multi-process tests.
//
//   FAKE_RECORD=path      append "start ID PID NS" at start and "end ID PID NS" at the end
//                         (CLOCK_MONOTONIC ns; O_APPEND and one write() per line, so lines from
//                         concurrent processes never interleave)
//   FAKE_ID=id            id in the record (default: the pid)
//   FAKE_ECHO_ARGV=1      print "argv[I]=ARG" for each argument on stdout
//   FAKE_ECHO_ENV=A,B     print "env A=VALUE" or "env A unset" for each name on stdout
//   FAKE_ECHO_CWD=1       print "cwd=DIR" on stdout
//   FAKE_ECHO_SIGNALS=1   print the SigBlk, SigIgn and SigCgt lines of /proc/self/status
//   FAKE_ECHO_FDS=1       print "fd N -> TARGET" for each open descriptor (the listing's own left
//   out) FAKE_CAT_STDIN=1      copy stdin to stdout FAKE_STDOUT, FAKE_STDERR   write these exact
//   bytes FAKE_ORPHAN_MS=N      fork a child that outlives this process by sleeping N ms
//   FAKE_NESTED=path      run PATH (the shim) with this process's arguments, wait, fail if it fails
//   FAKE_SHARED_MIB=N     touch N MiB of a shared anonymous mapping, then fork FAKE_CHILDREN
//                         children (default 2) that each touch FAKE_CHILD_OWN_MIB MiB of their
//                         own and sleep FAKE_SLEEP_MS; this process waits for them
//   FAKE_EAT_MIB=N        touch N MiB of private memory, 1 MiB at a time (an OOM victim)
//   FAKE_GROW_MB=N        after FAKE_GROW_AFTER_MS (default 0) ms, allocate and touch N MiB,
//                         kept until exit (a run whose memory grows after it was admitted)
//   FAKE_SLEEP_MS=N       sleep N ms
//   FAKE_SIGNAL=N         at the end, die by signal N (default disposition restored)
//   FAKE_EXIT=N           exit status (default 0)
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern char** environ;

namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value ? std::string(value) : fallback;
}

int env_int(const char* name, int fallback) {
  const char* value = std::getenv(name);
  return value && *value ? std::atoi(value) : fallback;
}

void write_all(int fd, const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

std::int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

void record(const char* kind, const std::string& id) {
  const char* path = std::getenv("FAKE_RECORD");
  if (!path) return;
  const int fd = ::open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  const std::string line = std::string(kind) + " " + id + " " + std::to_string(::getpid()) + " " +
                           std::to_string(monotonic_ns()) + "\n";
  (void)::write(fd, line.data(), line.size());
  ::close(fd);
}

void sleep_ms(int ms) {
  timespec ts{ms / 1000, (ms % 1000) * 1'000'000L};
  while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
  }
}

void echo(int argc, char** argv) {
  if (std::getenv("FAKE_ECHO_ARGV")) {
    for (int i = 0; i < argc; ++i) {
      write_all(1, "argv[" + std::to_string(i) + "]=" + argv[i] + "\n");
    }
  }
  std::string names = env_or("FAKE_ECHO_ENV", "");
  while (!names.empty()) {
    const auto comma = names.find(',');
    const std::string name = names.substr(0, comma);
    names = comma == std::string::npos ? "" : names.substr(comma + 1);
    const char* value = std::getenv(name.c_str());
    write_all(1, "env " + name + (value ? "=" + std::string(value) : " unset") + "\n");
  }
  if (std::getenv("FAKE_ECHO_CWD")) {
    char cwd[4096];
    write_all(1, std::string("cwd=") + (::getcwd(cwd, sizeof cwd) ? cwd : "?") + "\n");
  }
  if (std::getenv("FAKE_ECHO_FDS")) {
    DIR* fds = ::opendir("/proc/self/fd");
    const int own = fds != nullptr ? ::dirfd(fds) : -1;
    std::vector<int> open_fds;
    while (dirent* entry = fds != nullptr ? ::readdir(fds) : nullptr) {
      if (entry->d_name[0] == '.' || std::atoi(entry->d_name) == own) continue;
      open_fds.push_back(std::atoi(entry->d_name));
    }
    std::sort(open_fds.begin(), open_fds.end());
    for (int fd : open_fds) {
      char target[4096];
      const std::string link = "/proc/self/fd/" + std::to_string(fd);
      const ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
      write_all(1, "fd " + std::to_string(fd) + " -> " +
                       (n > 0 ? std::string(target, static_cast<std::size_t>(n)) : "?") + "\n");
    }
    if (fds != nullptr) ::closedir(fds);
  }
  if (std::getenv("FAKE_ECHO_SIGNALS")) {
    std::string status;
    const int fd = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    char buffer[4096];
    ssize_t n;
    while (fd >= 0 && (n = ::read(fd, buffer, sizeof buffer)) > 0) {
      status.append(buffer, static_cast<std::size_t>(n));
    }
    if (fd >= 0) ::close(fd);
    for (const char* name : {"SigBlk:", "SigIgn:", "SigCgt:"}) {
      const auto at = status.find(name);
      if (at != std::string::npos) write_all(1, status.substr(at, status.find('\n', at) - at + 1));
    }
  }
  if (std::getenv("FAKE_CAT_STDIN")) {
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(0, buffer, sizeof buffer)) > 0) {
      write_all(1, std::string(buffer, static_cast<std::size_t>(n)));
    }
  }
  if (const char* bytes = std::getenv("FAKE_STDOUT")) write_all(1, bytes);
  if (const char* bytes = std::getenv("FAKE_STDERR")) write_all(2, bytes);
}

// A child that outlives us, like a worker or server a test run leaves behind. Its standard
// descriptors are closed so that whoever reads our output does not wait for it.
void leave_orphan(int ms) {
  if (::fork() != 0) return;
  const int null = ::open("/dev/null", O_RDWR);
  for (int fd = 0; fd < 3; ++fd) ::dup2(null, fd);
  sleep_ms(ms);
  _exit(0);
}

// Writes one byte per page, so the kernel really backs `mib` MiB of the mapping.
void touch(void* memory, int mib) {
  const long page = ::sysconf(_SC_PAGESIZE);
  auto* bytes = static_cast<volatile char*>(memory);
  for (long at = 0; at < static_cast<long>(mib) << 20; at += page) bytes[at] = 1;
}

void* anonymous(int mib, int sharing) {
  void* memory = ::mmap(nullptr, static_cast<std::size_t>(mib) << 20, PROT_READ | PROT_WRITE,
                        sharing | MAP_ANONYMOUS, -1, 0);
  return memory == MAP_FAILED ? nullptr : memory;
}

// A tree like vitest's workers: pages shared by all (touched before the forks) and each
// child's own. PSS counts the shared pages once over the tree; RSS once per process.
void share_memory_with_children(int shared_mib, int sleep_ms_each) {
  void* shared = anonymous(shared_mib, MAP_SHARED);
  if (shared == nullptr) return;
  touch(shared, shared_mib);
  const int children = env_int("FAKE_CHILDREN", 2);
  const int own_mib = env_int("FAKE_CHILD_OWN_MIB", 0);
  std::vector<pid_t> pids;
  for (int i = 0; i < children; ++i) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      if (void* own = own_mib > 0 ? anonymous(own_mib, MAP_PRIVATE) : nullptr) touch(own, own_mib);
      sleep_ms(sleep_ms_each);
      _exit(0);
    }
    if (pid > 0) pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    while (::waitpid(pid, nullptr, 0) == -1 && errno == EINTR) {
    }
  }
}

void eat_memory(int mib) {
  for (int i = 0; i < mib; ++i) {
    if (void* chunk = anonymous(1, MAP_PRIVATE)) touch(chunk, 1);
  }
}

// Runs the shim again from inside this run, as a test that launches vitest itself would.
bool run_nested(const std::string& shim, const std::string& id, int argc, char** argv) {
  std::vector<std::string> env_strings;
  for (char** entry = environ; *entry; ++entry) {
    const std::string variable = *entry;
    if (variable.rfind("FAKE_NESTED=", 0) == 0 || variable.rfind("FAKE_ID=", 0) == 0) continue;
    env_strings.push_back(variable);
  }
  env_strings.push_back("FAKE_ID=" + id + ".nested");
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<char*> args{const_cast<char*>(shim.c_str())};
  for (int i = 1; i < argc; ++i) args.push_back(argv[i]);
  args.push_back(nullptr);

  pid_t pid = 0;
  if (posix_spawn(&pid, shim.c_str(), nullptr, nullptr, args.data(), envp.data()) != 0) {
    write_all(2, "fake_vitest: cannot spawn nested " + shim + "\n");
    return false;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) == -1 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
  write_all(2, "fake_vitest: nested run failed, wait status " + std::to_string(status) + "\n");
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string id = env_or("FAKE_ID", std::to_string(::getpid()));
  record("start", id);
  echo(argc, argv);

  if (const int ms = env_int("FAKE_ORPHAN_MS", 0); ms > 0) leave_orphan(ms);
  bool nested_ok = true;
  if (const char* shim = std::getenv("FAKE_NESTED")) nested_ok = run_nested(shim, id, argc, argv);
  if (const int mib = env_int("FAKE_EAT_MIB", 0); mib > 0) eat_memory(mib);
  if (const int mb = env_int("FAKE_GROW_MB", 0); mb > 0) {
    if (const int ms = env_int("FAKE_GROW_AFTER_MS", 0); ms > 0) sleep_ms(ms);
    const std::size_t bytes = static_cast<std::size_t>(mb) << 20;
    void* memory =
        ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory != MAP_FAILED) std::memset(memory, 1, bytes);
  }
  if (const int mib = env_int("FAKE_SHARED_MIB", 0); mib > 0) {
    share_memory_with_children(mib, env_int("FAKE_SLEEP_MS", 0));
  } else if (const int ms = env_int("FAKE_SLEEP_MS", 0); ms > 0) {
    sleep_ms(ms);
  }

  record("end", id);
  if (const int signal_number = env_int("FAKE_SIGNAL", 0); signal_number > 0) {
    // No core file: the point is the wait status, not a dump in the working directory.
    const rlimit no_core{0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    ::signal(signal_number, SIG_DFL);
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, signal_number);
    ::sigprocmask(SIG_UNBLOCK, &only, nullptr);
    ::raise(signal_number);
    return 120;
  }
  if (!nested_ok) return 3;
  return env_int("FAKE_EXIT", 0);
}
