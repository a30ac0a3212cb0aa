// 2. Handoff latency at limit 1: from the moment a holder's program exits until the next
//    waiter's program starts, as the fake records both (CLOCK_MONOTONIC).
#include <time.h>

#include <algorithm>

#include "bench.h"

namespace vq::bench {
namespace {

// Starts `count` launches at once; the first holds long enough for the rest to queue up, the
// others hold briefly. Returns the handoff gaps (ms) between consecutive runs.
std::vector<double> handoffs(const std::vector<std::string>& argv,
                             const std::vector<std::string>& env, int count,
                             const std::string& record) {
  std::vector<pid_t> pids;
  for (int i = 0; i < count; ++i) {
    std::vector<std::string> launch_env = env;
    launch_env.push_back("BENCH_RECORD=" + record);
    launch_env.push_back(std::string("BENCH_SLEEP_MS=") + (i == 0 ? "400" : "5"));
    pids.push_back(spawn(argv, launch_env));
    if (i == 0) {
      // The first one must be the holder: wait until it runs before queueing the rest.
      std::int64_t until = now_ns() + 5'000'000'000LL;
      while (read_records(record).empty() && now_ns() < until) {
        timespec pause{0, 1'000'000};
        nanosleep(&pause, nullptr);
      }
    }
  }
  for (pid_t pid : pids) wait_for(pid);
  std::vector<Record> records = read_records(record);
  std::sort(records.begin(), records.end(),
            [](const Record& a, const Record& b) { return a.ns < b.ns; });
  std::vector<double> gaps;
  for (std::size_t i = 0; i + 1 < records.size(); ++i) {
    if (!records[i].start && records[i + 1].start) {
      gaps.push_back((records[i + 1].ns - records[i].ns) / 1e6);
    }
  }
  return gaps;
}

}  // namespace

void run_handoff(const Context& context, Report& report) {
  const int batches = context.smoke ? 1 : 10;
  const int per_batch = context.smoke ? 6 : 21;
  Figure vq{"handoff", "vq"};
  Figure flock{"handoff", "flock"};
  Figure sem{"handoff", "sem"};
  for (int batch = 0; batch < batches; ++batch) {
    std::string dir = fresh_dir(context, "handoff");
    auto gaps = handoffs({context.shim, "run"},
                         base_env({"VQ_QUEUE_DIR=" + dir + "/queue", "VQ_MAX_PROCESSES=1",
                                   "VQ_QUEUE_TIMEOUT=0", "VQ_REAL_VITEST=" + context.fake}),
                         per_batch, dir + "/vq.record");
    vq.samples.insert(vq.samples.end(), gaps.begin(), gaps.end());
    if (context.have_flock) {
      gaps = handoffs({"flock", dir + "/lock", context.fake}, base_env(), per_batch,
                      dir + "/flock.record");
      flock.samples.insert(flock.samples.end(), gaps.begin(), gaps.end());
    }
  }
  if (context.have_sem) {
    // GNU sem polls for a free slot; a few handoffs show the scale.
    std::string dir = fresh_dir(context, "handoff-sem");
    auto gaps = handoffs({"sem", "--fg", "-j1", "--id", "vq-bench-handoff", context.fake},
                         base_env({"HOME=" + context.work_dir}), context.smoke ? 3 : 8,
                         dir + "/sem.record");
    sem.samples = gaps;
  } else {
    sem.note = "skipped: sem is not installed (Debian package parallel)";
  }
  if (!context.have_flock) flock.note = "skipped: flock is not installed";
  report.targets.push_back({"handoff p50", 1.0, "ms", median(vq.samples)});
  report.targets.push_back({"handoff p99", 5.0, "ms", percentile(vq.samples, 99)});
  report.figures.push_back(std::move(vq));
  report.figures.push_back(std::move(flock));
  report.figures.push_back(std::move(sem));
}

}  // namespace vq::bench
