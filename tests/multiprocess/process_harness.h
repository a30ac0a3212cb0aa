// Spawning real processes through the vitest shim and observing what really ran.
//
// Every launch gets a clean environment built here (nothing leaks in from the test runner, in
// particular no VQ_* variable and no VQ_HOLDER nested-run marker), its own process group, and
// files for stdin/stdout/stderr. The fake vitest appends start/end lines to a record file; that
// file, not anything the shim says about itself, is what the tests count.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace vq::mp {

using namespace std::chrono_literals;

// Deadline for anything that should finish: long enough to never trip on a loaded 2-core
// machine, short enough that a hang fails the test instead of stalling the suite.
inline constexpr std::chrono::milliseconds k_hang_deadline = 20s;

std::string shim_path();         // the `vitest` shim under test
std::string fake_vitest_path();  // the native stand-in for vitest

std::int64_t monotonic_ns();  // CLOCK_MONOTONIC, the same clock the fake records with
void sleep_for_ms(int ms);

std::string read_file(const std::string& path);  // empty when missing
void write_file(const std::string& path, const std::string& contents, mode_t mode = 0644);
bool path_exists(const std::string& path);
std::string resolved_exe(pid_t pid);  // /proc/PID/exe, empty when gone
std::string real_path(const std::string& path);
// Field 22 of /proc/PID/stat (start time in clock ticks); empty when gone.
std::string proc_start_time(pid_t pid);
// Field 3 of /proc/PID/stat ('R', 'S', 'Z' ...); 0 when gone.
char process_state(pid_t pid);
// User plus system CPU time of PID so far (fields 14 and 15), in ms; -1 when gone.
long cpu_time_ms(pid_t pid);
// The processes PID's open pidfds refer to ("Pid:" in /proc/PID/fdinfo): whom a waiter's sleep
// watches, seen from outside. Empty when gone or none.
std::vector<pid_t> pidfd_targets(pid_t pid);

// The fake as a project's node_modules/.bin/vitest of vitest `version`, in `dir` (made if
// missing): the shim reads the version from node_modules/vitest/package.json beside it. Returns
// the .bin path to pass as VQ_REAL_VITEST, or "" when it cannot be made.
std::string install_fake_vitest(const std::string& dir, const std::string& version);

// "exited 0", "killed by signal 15 (Terminated)" ... for readable assertions on wait statuses.
std::string describe_status(int wait_status);
std::string exited(int code);
std::string killed_by(int signal_number);

// A private temporary directory, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return m_path; }

 private:
  std::string m_path;
};

// A pseudo-terminal for launches whose output must go to a terminal. The test keeps the slave
// open too, so the terminal never hangs up; text() drains what has been written so far.
class Pty {
 public:
  Pty();
  ~Pty();
  Pty(const Pty&) = delete;
  Pty& operator=(const Pty&) = delete;
  const std::string& slave_path() const { return m_slave_path; }
  std::string text();

 private:
  int m_master = -1;
  int m_slave = -1;
  std::string m_slave_path;
  std::string m_text;
};

using Env = std::map<std::string, std::string>;

// Sets each of `overrides` in `env`; an empty value removes the variable.
void apply_overrides(Env& env, const Env& overrides);

struct Launch {
  std::string program;            // path to execute
  std::vector<std::string> argv;  // argv[0] included
  Env env;                        // the complete environment
  std::string cwd;                // empty: inherit
  std::string stdin_path = "/dev/null";
  std::string stdout_path;  // empty: /dev/null
  std::string stderr_path;  // empty: /dev/null
  // Signal state the program starts with; every other signal has its default disposition.
  std::vector<int> ignored_signals;
  std::vector<int> blocked_signals;
};

// A spawned child. If the test ends (or fails) while it still runs, its process group is killed
// and reaped so that no sleeper outlives the test.
class Process {
 public:
  explicit Process(const Launch& launch);
  ~Process();
  Process(Process&& other) noexcept;
  Process& operator=(Process&&) = delete;
  Process(const Process&) = delete;

  pid_t pid() const { return m_pid; }
  const std::string& stdout_path() const { return m_stdout_path; }
  const std::string& stderr_path() const { return m_stderr_path; }
  std::string stdout_text() const { return read_file(m_stdout_path); }
  std::string stderr_text() const { return read_file(m_stderr_path); }

  // Raw wait status, or nullopt if still running at the deadline (the group is then killed).
  std::optional<int> wait(std::chrono::milliseconds deadline = k_hang_deadline);
  bool has_exited();  // reaps when exited; never blocks
  void send(int signal_number) const;
  std::optional<int> status() const { return m_status; }

 private:
  pid_t m_pid = -1;
  std::optional<int> m_status;
  std::string m_stdout_path;
  std::string m_stderr_path;
};

struct RecordEvent {
  enum class Kind { start, end };
  Kind kind;
  std::string id;
  pid_t pid;
  std::int64_t ns;
};

std::vector<RecordEvent> read_records(const std::string& path);
// Largest number of runs between their start and end lines at one instant. The fake records
// after exec and before exit, inside the time the slot is held, so this never overstates.
int max_overlap(const std::vector<RecordEvent>& events);
std::optional<RecordEvent> find_event(const std::vector<RecordEvent>& events,
                                      RecordEvent::Kind kind, const std::string& id);
// Ids in the order of their start lines.
std::vector<std::string> start_order(const std::vector<RecordEvent>& events);

// Polls until `predicate` holds or the deadline passes; returns whether it held.
template <typename Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds deadline = k_hang_deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (!predicate()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    sleep_for_ms(2);
  }
  return true;
}

// Fixture: a fresh temporary directory per test with its own queue directory and record file,
// and helpers that launch the shim with the fake as the real vitest.
class ShimTest : public ::testing::Test {
 protected:
  ShimTest();

  std::string queue_dir() const { return m_tmp.path() + "/queue"; }
  std::string record_path() const { return m_tmp.path() + "/record"; }
  const std::string& tmp() const { return m_tmp.path(); }

  // Environment of a launch: PATH, HOME, VQ_QUEUE_DIR, VQ_REAL_VITEST=fake, FAKE_RECORD, FAKE_ID.
  // `overrides` are applied last; an empty value removes the variable.
  Env env_for(const std::string& id, const Env& overrides = {}) const;

  // The shim with argv {shim, args...}; stdout/stderr go to TMP/<id>.out and TMP/<id>.err.
  Launch shim_launch(const std::string& id, const Env& overrides = {},
                     const std::vector<std::string>& args = {}) const;
  // The fake run directly with the same argv[0] as a shim launch, for comparisons.
  Launch direct_launch(const std::string& id, const Env& overrides = {},
                       const std::vector<std::string>& args = {}) const;

  // Launches through the shim and returns once the fake has recorded its start (it holds a slot).
  Process start_holder(const std::string& id, const Env& overrides = {});
  // Launches through the shim and returns once it reports on stderr that it is waiting.
  Process start_waiter(const std::string& id, const Env& overrides = {});
  Process start_waiter_launch(const std::string& id, const Launch& launch);

  std::vector<RecordEvent> records() const { return read_records(record_path()); }
  bool has_started(const std::string& id) const;

 private:
  TempDir m_tmp;
};

}  // namespace vq::mp
