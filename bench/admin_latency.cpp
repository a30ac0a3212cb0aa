// 6. vq-admin status latency on a busy queue: 32 holders and 32 waiters (64 records).
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bench.h"

namespace vq::bench {
namespace {

constexpr int k_holders = 32;
constexpr int k_waiters = 32;

// How many waiters `vq-admin status --json` reports, or -1 when it cannot say.
int waiting_now(const Context& context, const std::vector<std::string>& env) {
  std::string out = context.work_dir + "/status.json";
  std::vector<std::string> argv = {"sh", "-c", "exec \"$0\" status --json > \"$1\"", context.admin,
                                   out};
  wait_for(spawn(argv, env));
  std::ifstream in(out);
  auto json = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object() || !json.contains("waiting") || !json["waiting"].is_array()) return -1;
  return static_cast<int>(json["waiting"].size());
}

int processes_now() {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (!name.empty() && std::all_of(name.begin(), name.end(), ::isdigit)) ++count;
  }
  return count;
}

}  // namespace

void run_admin_latency(const Context& context, Report& report) {
  if (context.admin.empty()) {
    report.notes.push_back("vq-admin status latency: skipped, vq-admin is not built");
    return;
  }
  const int runs = context.smoke ? 5 : 100;
  std::string queue = fresh_dir(context, "admin-queue");
  std::vector<std::string> env =
      base_env({"VQ_QUEUE_DIR=" + queue, "VQ_MAX_PROCESSES=" + std::to_string(k_holders),
                "VQ_QUEUE_TIMEOUT=0", "VQ_REAL_VITEST=" + context.fake, "BENCH_SLEEP_MS=600000"});
  std::vector<pid_t> launched;
  for (int i = 0; i < k_holders + k_waiters; ++i)
    launched.push_back(spawn({context.shim, "run"}, env));
  std::int64_t until = now_ns() + 30'000'000'000LL;
  while (waiting_now(context, env) < k_waiters && now_ns() < until) {
    timespec pause{0, 50'000'000};
    nanosleep(&pause, nullptr);
  }
  Figure text{"vq-admin status", "text"};
  Figure json{"vq-admin status", "--json"};
  for (int i = 0; i < runs; ++i) {
    text.samples.push_back(timed_run({context.admin, "status"}, env));
    json.samples.push_back(timed_run({context.admin, "status", "--json"}, env));
  }
  int seen = waiting_now(context, env);
  for (pid_t pid : launched) ::kill(pid, SIGKILL);
  for (pid_t pid : launched) wait_for(pid);
  // Without children lists in /proc (CONFIG_PROC_CHILDREN), status reads every process's stat:
  // its time then follows the number of processes on the machine, so the note gives it.
  const bool lists = ::access("/proc/thread-self/children", R_OK) == 0;
  text.note = json.note = std::to_string(k_holders) + " holders, " + std::to_string(seen) +
                          " waiters seen; " + std::to_string(processes_now()) +
                          " processes on the machine; " +
                          (lists ? "children lists: trees read" : "no children lists: all read");
  report.targets.push_back({"vq-admin status, median", 5.0, "ms", median(text.samples)});
  report.targets.push_back({"vq-admin status --json, median", 5.0, "ms", median(json.samples)});
  report.figures.push_back(text);
  report.figures.push_back(json);
}

}  // namespace vq::bench
