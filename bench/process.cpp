// Spawning and timing the programs under test.
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "bench.h"

namespace vq::bench {

std::int64_t now_ns() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1000000000LL + now.tv_nsec;
}

pid_t spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
            const std::string& stdin_path) {
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& entry : env) envp.push_back(const_cast<char*>(entry.c_str()));
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, stdin_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  int error = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(error));
  return pid;
}

Finished wait_for(pid_t pid) {
  Finished finished;
  rusage usage{};
  while (::wait4(pid, &finished.status, 0, &usage) < 0) {
    if (errno != EINTR) throw std::runtime_error("wait4 failed");
  }
  finished.max_rss_kib = usage.ru_maxrss;
  finished.user_ms = usage.ru_utime.tv_sec * 1e3 + usage.ru_utime.tv_usec / 1e3;
  finished.system_ms = usage.ru_stime.tv_sec * 1e3 + usage.ru_stime.tv_usec / 1e3;
  return finished;
}

double timed_run(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  std::int64_t start = now_ns();
  Finished finished = wait_for(spawn(argv, env));
  double ms = (now_ns() - start) / 1e6;
  if (!WIFEXITED(finished.status) || WEXITSTATUS(finished.status) != 0) {
    throw std::runtime_error(argv[0] + " failed (wait status " + std::to_string(finished.status) +
                             ")");
  }
  return ms;
}

std::vector<std::string> base_env(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  // VQ_HISTORY: main points it into the work directory, so the runs' watchers never write to
  // the user's own history.
  for (const char* name : {"PATH", "HOME", "LANG", "VQ_HISTORY"}) {
    const char* value = std::getenv(name);
    std::string prefix = std::string(name) + "=";
    bool overridden = false;
    for (const auto& entry : extra) overridden = overridden || entry.rfind(prefix, 0) == 0;
    if (value != nullptr && !overridden) env.push_back(prefix + value);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

std::string fresh_dir(const Context& context, const std::string& name) {
  static int counter = 0;
  std::string path = context.work_dir + "/" + name + "-" + std::to_string(++counter);
  std::filesystem::create_directories(path);
  std::filesystem::permissions(path, std::filesystem::perms::owner_all);
  return path;
}

std::vector<Record> read_records(const std::string& path) {
  std::vector<Record> records;
  std::ifstream in(path);
  std::string event;
  Record record;
  while (in >> event >> record.pid >> record.ns) {
    record.start = event == "start";
    records.push_back(record);
  }
  return records;
}

}  // namespace vq::bench
