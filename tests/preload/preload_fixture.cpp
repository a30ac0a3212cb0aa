#include "preload_fixture.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <stdexcept>

namespace vq::preload_test {

namespace fs = std::filesystem;

std::string preload_library() {
  return VQ_PRELOAD_LIBRARY;
}

std::string probe_path(const std::string& function) {
  return std::string(VQ_PROBE_DIR) + "/probe_" + function;
}

bool searches_path(const std::string& function) {
  return std::find(k_path_searching_functions.begin(), k_path_searching_functions.end(),
                   function) != k_path_searching_functions.end();
}

bool takes_environment(const std::string& function) {
  return function == "execve" || function == "execvpe" || function == "execle" ||
         is_spawn(function);
}

bool is_spawn(const std::string& function) {
  return function.starts_with("posix_spawn");
}

std::string env_line(const std::string& name, const std::string& value) {
  return "env " + name + "=" + value + "\n";
}

std::string env_unset(const std::string& name) {
  return "env " + name + " unset\n";
}

std::string argv_lines(const std::vector<std::string>& argv) {
  std::string text;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    text += "argv[" + std::to_string(i) + "]=" + argv[i] + "\n";
  }
  return text;
}

std::string spawned_line(const std::string& function) {
  return function + " returned 0, pid <pid>, exited 0\n";
}

std::string without_pids(const std::string& text) {
  static const std::regex pid_number("pid [0-9]+");
  return std::regex_replace(text, pid_number, "pid <pid>");
}

pid_t spawned_pid(const std::string& probe_output) {
  static const std::regex spawned(", pid ([0-9]+), exited");
  std::smatch match;
  if (!std::regex_search(probe_output, match, spawned)) return -1;
  return static_cast<pid_t>(std::stol(match[1]));
}

std::string HookTest::queue_log() const {
  std::string text;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(queue_dir(), ec)) {
    if (entry.path().extension() == ".log") text += mp::read_file(entry.path());
  }
  return text;
}

Env HookTest::env_for(Preload preload, const Env& overrides) const {
  Env env{
      {"PATH", "/usr/bin:/bin"},
      {"HOME", tmp()},
      {"VQ_QUEUE_DIR", queue_dir()},
      {"FAKE_RECORD", record_path()},
      {"PROBE_DROP", "arrived-from-environ"},
  };
  if (preload == Preload::on) env["LD_PRELOAD"] = preload_library();
  mp::apply_overrides(env, overrides);
  return env;
}

ProbeResult HookTest::run_probe(const std::string& function, Preload preload,
                                const std::string& file, const std::vector<std::string>& argv,
                                const Env& overrides, const std::string& cwd) const {
  static int counter = 0;
  const std::string name = tmp() + "/probe" + std::to_string(++counter);
  mp::Launch launch;
  launch.program = probe_path(function);
  launch.argv = {launch.program, file};
  launch.argv.insert(launch.argv.end(), argv.begin(), argv.end());
  launch.env = env_for(preload, overrides);
  launch.cwd = cwd;
  launch.stdout_path = name + ".out";
  launch.stderr_path = name + ".err";
  mp::Process process(launch);
  ProbeResult result;
  result.pid = process.pid();
  const auto status = process.wait();
  result.status = status ? mp::describe_status(*status) : "hung";
  result.out = process.stdout_text();
  result.err = process.stderr_text();
  return result;
}

std::string HookTest::file_for(const std::string& function, const std::string& dir,
                               const std::string& name, Env& env) const {
  if (!searches_path(function)) return dir + "/" + name;
  env["PATH"] = dir + ":/usr/bin:/bin";
  return name;
}

std::string HookTest::make_project(const std::string& name, const std::string& version) const {
  const std::string project = tmp() + "/" + name;
  fs::create_directories(project + "/node_modules/.bin");
  fs::create_directories(project + "/node_modules/vitest");
  fs::create_symlink(VQ_FAKE_VITEST_PATH, project + "/node_modules/.bin/vitest");
  mp::write_file(project + "/node_modules/vitest/vitest.mjs", "");
  if (!version.empty()) {
    mp::write_file(project + "/node_modules/vitest/package.json",
                   R"({"name": "vitest", "version": ")" + version + "\"}\n");
  }
  return project;
}

std::string HookTest::link_fake(const std::string& dir, const std::string& name) const {
  fs::create_directories(tmp() + "/" + dir);
  const std::string path = tmp() + "/" + dir + "/" + name;
  fs::create_symlink(VQ_FAKE_VITEST_PATH, path);
  return path;
}

std::string HookTest::make_file(const std::string& dir, const std::string& name,
                                const std::string& contents, mode_t mode) const {
  fs::create_directories(tmp() + "/" + dir);
  const std::string path = tmp() + "/" + dir + "/" + name;
  mp::write_file(path, contents, mode);
  // write_file's mode is filtered by the umask; the tests need it exactly.
  if (::chmod(path.c_str(), mode) != 0) throw std::runtime_error("chmod " + path);
  return path;
}

}  // namespace vq::preload_test
