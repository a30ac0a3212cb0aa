#include "watch_harness.h"

#include <dirent.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace vq::mp {

Env WatchTest::watched_env(const std::string& id, Env overrides) const {
  overrides.emplace("VQ_HISTORY", history_path());
  return env_for(id, overrides);
}

std::vector<history::RunRecord> WatchTest::rows() const {
  if (!path_exists(history_path())) return {};
  auto store = history::HistoryStore::open(history_path());
  if (!store) return {};
  history::HistoryQuery all;
  all.limit = 10000;
  auto found = store->query(all);
  return found ? *found : std::vector<history::RunRecord>{};
}

std::vector<history::RunRecord> WatchTest::wait_for_rows(std::size_t count) const {
  std::vector<history::RunRecord> found;
  eventually([&] {
    found = rows();
    return found.size() >= count;
  });
  return found;
}

std::vector<pid_t> watchers_of(pid_t pid) {
  std::vector<pid_t> watchers;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return watchers;
  const std::string wanted = "pid=" + std::to_string(pid);
  while (dirent* entry = ::readdir(proc)) {
    const pid_t candidate = std::atoi(entry->d_name);
    if (candidate <= 0) continue;
    std::string cmdline = read_file("/proc/" + std::to_string(candidate) + "/cmdline");
    std::vector<std::string> args;
    std::stringstream split(cmdline);
    for (std::string arg; std::getline(split, arg, '\0');) args.push_back(arg);
    if (args.empty() || !args[0].ends_with("vq-watch")) continue;
    for (const std::string& arg : args) {
      if (arg == wanted) watchers.push_back(candidate);
    }
  }
  ::closedir(proc);
  return watchers;
}

std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> children;
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  DIR* dir = ::opendir(tasks.c_str());
  if (dir == nullptr) return children;
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    std::stringstream list(read_file(tasks + "/" + entry->d_name + "/children"));
    for (pid_t child; list >> child;) children.push_back(child);
  }
  ::closedir(dir);
  return children;
}

bool kernel_has_pidfd_exit_info() {
  int major = 0, minor = 0;
  std::sscanf(read_file("/proc/sys/kernel/osrelease").c_str(), "%d.%d", &major, &minor);
  return major > 6 || (major == 6 && minor >= 15);
}

}  // namespace vq::mp
