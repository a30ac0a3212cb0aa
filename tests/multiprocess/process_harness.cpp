#include "process_harness.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace vq::mp {

namespace fs = std::filesystem;

std::string shim_path() {
  return VQ_SHIM_PATH;
}
std::string fake_vitest_path() {
  return VQ_FAKE_VITEST_PATH;
}

std::int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

void sleep_for_ms(int ms) {
  timespec ts{ms / 1000, (ms % 1000) * 1'000'000L};
  while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_file(const std::string& path, const std::string& contents, mode_t mode) {
  std::ofstream(path, std::ios::binary) << contents;
  ::chmod(path.c_str(), mode);
}

bool path_exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

std::string install_fake_vitest(const std::string& dir, const std::string& version) {
  const std::string modules = dir + "/node_modules";
  for (const std::string& sub : {dir, modules, modules + "/vitest", modules + "/.bin"}) {
    ::mkdir(sub.c_str(), 0755);
  }
  write_file(modules + "/vitest/package.json",
             R"({"name": "vitest", "version": ")" + version + R"("})");
  const std::string bin = modules + "/.bin/vitest";
  if (::symlink(fake_vitest_path().c_str(), bin.c_str()) != 0) return "";
  return bin;
}

std::string resolved_exe(pid_t pid) {
  std::error_code ec;
  auto target = fs::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec);
  return ec ? std::string{} : target.string();
}

std::string real_path(const std::string& path) {
  std::error_code ec;
  auto canonical = fs::canonical(path, ec);
  return ec ? path : canonical.string();
}

namespace {

// Field `wanted` (1-based, as in proc(5)) of /proc/PID/stat; empty when gone.
std::string proc_stat_field(pid_t pid, int wanted) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  // The command name (field 2) may hold spaces and parentheses; fields resume after the last ')'.
  const auto close = stat.rfind(')');
  if (close == std::string::npos || close + 2 > stat.size()) return {};
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  for (int number = 3; fields >> field; ++number) {
    if (number == wanted) return field;
  }
  return {};
}

}  // namespace

std::string proc_start_time(pid_t pid) {
  return proc_stat_field(pid, 22);
}

char process_state(pid_t pid) {
  const std::string state = proc_stat_field(pid, 3);
  return state.empty() ? '\0' : state[0];
}

long cpu_time_ms(pid_t pid) {
  const std::string user = proc_stat_field(pid, 14);
  const std::string system = proc_stat_field(pid, 15);
  if (user.empty() || system.empty()) return -1;
  return (std::stol(user) + std::stol(system)) * 1000 / ::sysconf(_SC_CLK_TCK);
}

std::vector<pid_t> pidfd_targets(pid_t pid) {
  std::vector<pid_t> targets;
  const std::string proc = "/proc/" + std::to_string(pid);
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(proc + "/fd", error)) {
    std::error_code link_error;
    auto target = std::filesystem::read_symlink(entry.path(), link_error);
    if (link_error || target.string() != "anon_inode:[pidfd]") continue;
    std::istringstream info(read_file(proc + "/fdinfo/" + entry.path().filename().string()));
    for (std::string line; std::getline(info, line);) {
      if (line.rfind("Pid:", 0) == 0) targets.push_back(std::stoi(line.substr(4)));
    }
  }
  return targets;
}

std::string describe_status(int wait_status) {
  if (WIFEXITED(wait_status)) return exited(WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) return killed_by(WTERMSIG(wait_status));
  return "unexpected wait status " + std::to_string(wait_status);
}

std::string exited(int code) {
  return "exited " + std::to_string(code);
}

std::string killed_by(int signal_number) {
  return "killed by signal " + std::to_string(signal_number) + " (" + strsignal(signal_number) +
         ")";
}

TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "vq-mp-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp " + pattern + ": " + std::strerror(errno));
  }
  m_path = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(m_path, ec);
}

Pty::Pty() {
  m_master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m_master < 0 || ::grantpt(m_master) != 0 || ::unlockpt(m_master) != 0) {
    throw std::runtime_error(std::string("cannot open a pseudo-terminal: ") + std::strerror(errno));
  }
  m_slave_path = ::ptsname(m_master);
  m_slave = ::open(m_slave_path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
  ::fcntl(m_master, F_SETFL, ::fcntl(m_master, F_GETFL) | O_NONBLOCK);
}

Pty::~Pty() {
  if (m_slave >= 0) ::close(m_slave);
  if (m_master >= 0) ::close(m_master);
}

std::string Pty::text() {
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(m_master, buffer, sizeof buffer)) > 0) {
    m_text.append(buffer, static_cast<std::size_t>(n));
  }
  return m_text;
}

namespace {

struct SpawnAttributes {
  posix_spawnattr_t attr{};
  posix_spawn_file_actions_t actions{};
  SpawnAttributes() {
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
  }
  ~SpawnAttributes() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
};

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (auto& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

Process::Process(const Launch& launch)
    : m_stdout_path(launch.stdout_path), m_stderr_path(launch.stderr_path) {
  SpawnAttributes spawn;
  // Own process group, so that a hung launch and anything it started can be killed together.
  // Default dispositions and an empty mask unless asked: a runner started in the background
  // from a shell ignores SIGINT, and the shim would inherit that.
  sigset_t to_default;
  sigfillset(&to_default);
  sigset_t mask;
  sigemptyset(&mask);
  for (int signal_number : launch.blocked_signals) sigaddset(&mask, signal_number);
  // posix_spawn cannot ignore a signal in the child; a signal this process ignores, and that is
  // not reset to default, stays ignored across exec.
  std::vector<std::pair<int, struct sigaction>> saved;
  for (int signal_number : launch.ignored_signals) {
    sigdelset(&to_default, signal_number);
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    struct sigaction old {};
    ::sigaction(signal_number, &ignore, &old);
    saved.emplace_back(signal_number, old);
  }
  posix_spawnattr_setsigdefault(&spawn.attr, &to_default);
  posix_spawnattr_setsigmask(&spawn.attr, &mask);
  posix_spawnattr_setpgroup(&spawn.attr, 0);
  posix_spawnattr_setflags(&spawn.attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  const auto out = launch.stdout_path.empty() ? std::string("/dev/null") : launch.stdout_path;
  const auto err = launch.stderr_path.empty() ? std::string("/dev/null") : launch.stderr_path;
  posix_spawn_file_actions_addopen(&spawn.actions, 0, launch.stdin_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&spawn.actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&spawn.actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  if (!launch.cwd.empty()) {
    posix_spawn_file_actions_addchdir_np(&spawn.actions, launch.cwd.c_str());
  }

  std::vector<std::string> argv = launch.argv;
  std::vector<std::string> envp;
  for (const auto& [name, value] : launch.env) envp.push_back(name + "=" + value);
  auto argv_pointers = c_strings(argv);
  auto envp_pointers = c_strings(envp);

  const int rc = posix_spawn(&m_pid, launch.program.c_str(), &spawn.actions, &spawn.attr,
                             argv_pointers.data(), envp_pointers.data());
  for (const auto& [signal_number, old] : saved) ::sigaction(signal_number, &old, nullptr);
  if (rc != 0) {
    m_pid = -1;
    throw std::runtime_error("posix_spawn " + launch.program + ": " + std::strerror(rc));
  }
}

Process::Process(Process&& other) noexcept
    : m_pid(other.m_pid),
      m_status(other.m_status),
      m_stdout_path(std::move(other.m_stdout_path)),
      m_stderr_path(std::move(other.m_stderr_path)) {
  other.m_pid = -1;
}

Process::~Process() {
  if (m_pid <= 0 || m_status) return;
  ::kill(-m_pid, SIGKILL);
  ::kill(m_pid, SIGKILL);
  int status = 0;
  while (::waitpid(m_pid, &status, 0) == -1 && errno == EINTR) {
  }
}

bool Process::has_exited() {
  if (m_status) return true;
  int status = 0;
  const pid_t rc = ::waitpid(m_pid, &status, WNOHANG);
  if (rc == m_pid) m_status = status;
  return m_status.has_value();
}

std::optional<int> Process::wait(std::chrono::milliseconds deadline) {
  if (eventually([this] { return has_exited(); }, deadline)) return m_status;
  ADD_FAILURE() << "pid " << m_pid << " still running after " << deadline.count()
                << " ms; killing its process group";
  ::kill(-m_pid, SIGKILL);
  ::kill(m_pid, SIGKILL);
  int status = 0;
  ::waitpid(m_pid, &status, 0);
  m_status = status;
  return std::nullopt;
}

void Process::send(int signal_number) const {
  if (m_pid > 0 && !m_status) ::kill(m_pid, signal_number);
}

std::vector<RecordEvent> read_records(const std::string& path) {
  std::vector<RecordEvent> events;
  std::istringstream lines(read_file(path));
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string kind;
    RecordEvent event{};
    if (!(fields >> kind >> event.id >> event.pid >> event.ns)) {
      ADD_FAILURE() << "malformed record line: '" << line << "'";
      continue;
    }
    event.kind = kind == "start" ? RecordEvent::Kind::start : RecordEvent::Kind::end;
    events.push_back(event);
  }
  return events;
}

int max_overlap(const std::vector<RecordEvent>& events) {
  auto sorted = events;
  // On equal timestamps count the end first: a handoff is not an overlap.
  std::sort(sorted.begin(), sorted.end(), [](const RecordEvent& a, const RecordEvent& b) {
    if (a.ns != b.ns) return a.ns < b.ns;
    return a.kind == RecordEvent::Kind::end && b.kind == RecordEvent::Kind::start;
  });
  int running = 0;
  int most = 0;
  for (const auto& event : sorted) {
    running += event.kind == RecordEvent::Kind::start ? 1 : -1;
    most = std::max(most, running);
  }
  return most;
}

std::optional<RecordEvent> find_event(const std::vector<RecordEvent>& events,
                                      RecordEvent::Kind kind, const std::string& id) {
  for (const auto& event : events) {
    if (event.kind == kind && event.id == id) return event;
  }
  return std::nullopt;
}

std::vector<std::string> start_order(const std::vector<RecordEvent>& events) {
  std::vector<RecordEvent> starts;
  for (const auto& event : events) {
    if (event.kind == RecordEvent::Kind::start) starts.push_back(event);
  }
  std::stable_sort(starts.begin(), starts.end(),
                   [](const RecordEvent& a, const RecordEvent& b) { return a.ns < b.ns; });
  std::vector<std::string> ids;
  for (const auto& event : starts) ids.push_back(event.id);
  return ids;
}

ShimTest::ShimTest() = default;

Env ShimTest::env_for(const std::string& id, const Env& overrides) const {
  Env env{
      {"PATH", "/usr/local/bin:/usr/bin:/bin"},
      {"HOME", tmp()},
      {"VQ_QUEUE_DIR", queue_dir()},
      {"VQ_REAL_VITEST", fake_vitest_path()},
      {"FAKE_RECORD", record_path()},
      {"FAKE_ID", id},
  };
  // Sanitizer settings of an ASan/UBSan build must reach the shim too.
  for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"}) {
    if (const char* value = std::getenv(name)) env[name] = value;
  }
  apply_overrides(env, overrides);
  return env;
}

void apply_overrides(Env& env, const Env& overrides) {
  for (const auto& [name, value] : overrides) {
    if (value.empty()) {
      env.erase(name);
    } else {
      env[name] = value;
    }
  }
}

Launch ShimTest::shim_launch(const std::string& id, const Env& overrides,
                             const std::vector<std::string>& args) const {
  Launch launch;
  launch.program = shim_path();
  launch.argv = {shim_path()};
  launch.argv.insert(launch.argv.end(), args.begin(), args.end());
  launch.env = env_for(id, overrides);
  launch.stdout_path = tmp() + "/" + id + ".out";
  launch.stderr_path = tmp() + "/" + id + ".err";
  return launch;
}

Launch ShimTest::direct_launch(const std::string& id, const Env& overrides,
                               const std::vector<std::string>& args) const {
  Launch launch = shim_launch(id, overrides, args);
  launch.program = fake_vitest_path();
  return launch;
}

bool ShimTest::has_started(const std::string& id) const {
  return find_event(records(), RecordEvent::Kind::start, id).has_value();
}

Process ShimTest::start_holder(const std::string& id, const Env& overrides) {
  Process holder(shim_launch(id, overrides));
  if (!eventually([&] { return has_started(id) || holder.has_exited(); }) || !has_started(id)) {
    throw std::runtime_error("holder " + id + " never started; stderr: " + holder.stderr_text());
  }
  return holder;
}

Process ShimTest::start_waiter(const std::string& id, const Env& overrides) {
  return start_waiter_launch(id, shim_launch(id, overrides));
}

Process ShimTest::start_waiter_launch(const std::string& id, const Launch& launch) {
  Process waiter(launch);
  auto reported = [&] { return waiter.stderr_text().find("vq: waiting") != std::string::npos; };
  eventually([&] { return reported() || has_started(id) || waiter.has_exited(); }, 10s);
  if (has_started(id)) {
    throw std::runtime_error("waiter " + id + " was admitted at once; the queue should be full");
  }
  // A waiter with a short timeout may already have left again; that is for the test to judge.
  if (!reported()) {
    throw std::runtime_error("waiter " + id + " did not report waiting; stderr: '" +
                             waiter.stderr_text() + "'");
  }
  return waiter;
}

}  // namespace vq::mp
