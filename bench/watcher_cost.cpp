// Watching's running cost: the CPU that the watchers (vq-watch) of 8 concurrent runs of 10
// processes each use together while the runs go on, read from the kernel's per-process
// scheduler clock (/proc/PID/schedstat, ns), as a share of one core.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "bench.h"

namespace vq::bench {
namespace {

constexpr int k_runs = 8;

// vq-watch processes watching runs of `queue`, with their CPU time so far (ns).
std::map<pid_t, double> watcher_cpu_ns(const std::string& queue) {
  std::map<pid_t, double> found;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return found;
  while (dirent* entry = ::readdir(proc)) {
    const pid_t pid = std::atoi(entry->d_name);
    if (pid <= 0) continue;
    const std::string dir = "/proc/" + std::to_string(pid);
    std::ifstream cmdline_file(dir + "/cmdline");
    std::stringstream cmdline;
    cmdline << cmdline_file.rdbuf();
    const std::string text = cmdline.str();
    if (text.find("vq-watch") == std::string::npos ||
        text.find("queue_dir=" + queue + '\0') == std::string::npos) {
      continue;
    }
    double ns = 0;
    if (std::ifstream(dir + "/schedstat") >> ns) found[pid] = ns;
  }
  ::closedir(proc);
  return found;
}

// A run of 10 processes: a shell and nine children, idle for `seconds`.
std::string write_tree_script(const Context& context, double seconds) {
  const std::string path = context.work_dir + "/tree-of-ten.sh";
  std::ofstream(path) << "#!/bin/sh\nfor i in 1 2 3 4 5 6 7 8 9; do sleep " << seconds
                      << " & done\nwait\n";
  ::chmod(path.c_str(), 0755);
  return path;
}

}  // namespace

void run_watcher_cost(const Context& context, Report& report) {
  const double run_s = context.smoke ? 1.5 : 6.0;
  const double measure_s = context.smoke ? 0.5 : 4.0;
  const std::string queue = fresh_dir(context, "watchers-queue");
  const std::vector<std::string> env =
      base_env({"VQ_QUEUE_DIR=" + queue, "VQ_MAX_PROCESSES=" + std::to_string(k_runs),
                "VQ_REAL_VITEST=" + write_tree_script(context, run_s)});
  std::vector<pid_t> runs;
  for (int i = 0; i < k_runs; ++i) runs.push_back(spawn({context.shim, "run"}, env));
  // Past the watchers' start (exec, SQLite not yet opened): only their sampling is measured.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto before = watcher_cpu_ns(queue);
  const auto started = now_ns();
  std::this_thread::sleep_for(std::chrono::duration<double>(measure_s));
  const auto after = watcher_cpu_ns(queue);
  const double elapsed_ns = static_cast<double>(now_ns() - started);
  for (pid_t run : runs) wait_for(run);

  double used_ns = 0;
  for (const auto& [pid, ns] : after) {
    if (auto first = before.find(pid); first != before.end()) used_ns += ns - first->second;
  }
  const double percent = used_ns / elapsed_ns * 100.0;
  Figure figure{"watchers", "8 runs x 10 processes", "% of a core"};
  figure.samples.push_back(percent);
  if (after.size() != k_runs) {
    figure.note = "found " + std::to_string(after.size()) + " watchers, expected 8";
  }
  report.figures.push_back(figure);
  report.targets.push_back(
      {"CPU of the watchers of 8 runs of 10 processes, together", 1.0, "% of a core", percent});
}

}  // namespace vq::bench
