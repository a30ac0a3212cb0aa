// Running the per-function probes (exec_probe.c) with and without libvq-preload.so, in a fresh
// temporary directory per test with its own queue directory, and building the things they run:
// a plain program, a project with node_modules/.bin/vitest, a fake `node`.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "process_harness.h"

namespace vq::preload_test {

using mp::Env;

inline const std::vector<std::string> k_hooked_functions = {
    "execve", "execv",  "execvp",      "execvpe",     "execl",
    "execlp", "execle", "posix_spawn", "posix_spawnp"};
inline const std::vector<std::string> k_path_searching_functions = {"execvp", "execvpe", "execlp",
                                                                    "posix_spawnp"};

std::string preload_library();
std::string probe_path(const std::string& function);
bool searches_path(const std::string& function);      // the p variants
bool takes_environment(const std::string& function);  // e variants and posix_spawn*
bool is_spawn(const std::string& function);

enum class Preload { off, on };

struct ProbeResult {
  std::string status;  // "exited 0" ...
  std::string out;     // stdout: what the program run (or the probe) printed
  std::string err;     // stderr
  pid_t pid = -1;      // the probe's pid: an exec variant's program runs under it
};

// "env NAME=VALUE" / "env NAME unset", as the fake vitest prints with FAKE_ECHO_ENV.
std::string env_line(const std::string& name, const std::string& value);
std::string env_unset(const std::string& name);
// "argv[I]=ARG" lines, as the fake prints with FAKE_ECHO_ARGV.
std::string argv_lines(const std::vector<std::string>& argv);
// The probe's report of a successful spawn, "pid N" replaced by "pid <pid>".
std::string spawned_line(const std::string& function);
// `text` with every "pid <digits>" replaced by "pid <pid>", to compare runs.
std::string without_pids(const std::string& text);
// The pid in the probe's "…, pid N, exited …" line, or -1.
pid_t spawned_pid(const std::string& probe_output);

class HookTest : public ::testing::Test {
 protected:
  const std::string& tmp() const { return m_tmp.path(); }
  std::string queue_dir() const { return tmp() + "/q"; }
  std::string record_path() const { return tmp() + "/record"; }
  // All of <queue_dir>/*.log, concatenated; empty when the queue was never opened.
  std::string queue_log() const;

  // Base environment: PATH=/usr/bin:/bin, HOME, VQ_QUEUE_DIR, FAKE_RECORD, PROBE_DROP; with
  // Preload::on also LD_PRELOAD. `overrides` come last; an empty value removes the variable.
  Env env_for(Preload preload, const Env& overrides = {}) const;

  // Runs probe_<function> FILE ARGV... and waits for it.
  ProbeResult run_probe(const std::string& function, Preload preload, const std::string& file,
                        const std::vector<std::string>& argv, const Env& overrides = {},
                        const std::string& cwd = "") const;

  // FILE for `function` to run DIR/NAME: the absolute path, or for a p variant the bare name
  // with DIR first on PATH (added to `env`).
  std::string file_for(const std::string& function, const std::string& dir, const std::string& name,
                       Env& env) const;

  // DIR/node_modules/.bin/vitest (a symlink to the fake vitest) and an empty
  // DIR/node_modules/vitest/vitest.mjs; `version`, when given, goes in vitest's package.json.
  std::string make_project(const std::string& name, const std::string& version = "") const;
  // TMP/<dir>/<name>: a symlink to the fake vitest.
  std::string link_fake(const std::string& dir, const std::string& name) const;
  // TMP/<dir>/<name> with `contents` and `mode`.
  std::string make_file(const std::string& dir, const std::string& name,
                        const std::string& contents, mode_t mode) const;

 private:
  mp::TempDir m_tmp;
};

}  // namespace vq::preload_test
