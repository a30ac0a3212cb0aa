// 3. Throughput: many short jobs of the fake through limit 4 from 32 concurrent submitters,
//    against xargs -P4 running the same jobs directly (no queue between them), flock(1) over four
//    lock files and GNU sem -j4.
#include <atomic>
#include <fstream>
#include <thread>

#include <stdexcept>

#include "bench.h"

namespace vq::bench {
namespace {

constexpr int k_limit = 4;

// `submitters` threads share `jobs` launches of argv/env; returns the total wall time in ms.
double submit(int jobs, int submitters, const std::vector<std::string>& argv,
              const std::vector<std::string>& env) {
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  std::int64_t start = now_ns();
  std::vector<std::thread> threads;
  for (int s = 0; s < submitters; ++s) {
    threads.emplace_back([&] {
      while (next.fetch_add(1) < jobs) {
        try {
          timed_run(argv, env);
        } catch (...) {
          failed = true;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  if (failed) throw std::runtime_error("a job of " + argv[0] + " failed");
  return (now_ns() - start) / 1e6;
}

// flock(1) as a four-slot semaphore: try each lock file without waiting, else wait on one.
constexpr const char* k_flock_script = R"SH(
for i in 0 1 2 3; do
  flock -n -E 75 "$1/lock$i" "$2"; rc=$?
  [ $rc -ne 75 ] && exit $rc
done
exec flock "$1/lock$((RANDOM % 4))" "$2"
)SH";

}  // namespace

void run_throughput(const Context& context, Report& report) {
  const int jobs = context.smoke ? 60 : 1000;
  const int submitters = context.smoke ? 8 : 32;
  const std::string sleep_ms = context.smoke ? "5" : "20";
  std::string dir = fresh_dir(context, "throughput");
  std::vector<std::string> fake_env = base_env({"BENCH_SLEEP_MS=" + sleep_ms});
  auto unit = [&](const std::string& variant, double ms, int count, const std::string& note) {
    Figure figure{"throughput", variant, "s"};
    figure.samples = {ms / 1e3};
    figure.note =
        std::to_string(count) + " jobs of " + sleep_ms + " ms" + (note.empty() ? "" : "; " + note);
    report.figures.push_back(figure);
  };

  std::vector<std::string> vq_env = base_env(
      {"VQ_QUEUE_DIR=" + dir + "/queue", "VQ_MAX_PROCESSES=" + std::to_string(k_limit),
       "VQ_QUEUE_TIMEOUT=0", "VQ_REAL_VITEST=" + context.fake, "BENCH_SLEEP_MS=" + sleep_ms});
  double vq = submit(jobs, submitters, {context.shim, "run"}, vq_env);
  unit("vq", vq, jobs, std::to_string(submitters) + " submitters, limit 4");

  {
    std::ofstream lines(dir + "/jobs");
    for (int i = 0; i < jobs; ++i) lines << i << "\n";
  }
  std::int64_t start = now_ns();
  Finished finished =
      wait_for(spawn({"xargs", "-P4", "-n1", context.fake}, fake_env, dir + "/jobs"));
  double xargs = (now_ns() - start) / 1e6;
  if (finished.status != 0) throw std::runtime_error("xargs failed");
  unit("xargs -P4", xargs, jobs, "one xargs, no queue");
  report.targets.push_back({"throughput, vq over xargs -P4", 1.25, "ratio", vq / xargs});

  if (context.have_flock) {
    std::ofstream(dir + "/flock4.sh") << k_flock_script;
    double flock =
        submit(jobs, submitters, {"bash", dir + "/flock4.sh", dir, context.fake}, fake_env);
    unit("flock x4", flock, jobs, std::to_string(submitters) + " submitters, 4 lock files");
  }
  if (context.have_sem) {
    // sem starts perl per job and polls: a tenth of the jobs keeps the suite short.
    int sem_jobs = jobs / 10;
    double sem = submit(sem_jobs, submitters,
                        {"sem", "--fg", "-j4", "--id", "vq-bench-throughput", context.fake},
                        base_env({"HOME=" + context.work_dir, "BENCH_SLEEP_MS=" + sleep_ms}));
    unit("sem -j4", sem, sem_jobs, "a tenth of the jobs");
  }
}

}  // namespace vq::bench
