// 2. Handoff latency at limit 1: from the moment a holder's program exits until the next
//    waiter's program starts, as the fake records both (CLOCK_MONOTONIC).
#include <time.h>

#include <algorithm>
#include <cstdio>

#include "bench.h"

namespace vq::bench {
namespace {

std::vector<double> gaps_of(const std::string& record) {
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

// The floor: a chain of `count` runs, each one waiting in poll() on a pidfd of the one before,
// then exec'ing the fake. Nothing but the kernel between one run's exit and the next start.
std::vector<double> pidfd_chain(const Context& context, int count, const std::string& record) {
  std::vector<pid_t> pids;
  std::vector<std::string> env = base_env({"BENCH_RECORD=" + record, "BENCH_SLEEP_MS=400"});
  pids.push_back(spawn({context.fake}, env));
  env.back() = "BENCH_SLEEP_MS=5";
  for (int i = 1; i < count; ++i) {
    pids.push_back(spawn({context.pidfd_waiter, std::to_string(pids.back()), context.fake}, env));
  }
  for (pid_t pid : pids) wait_for(pid);
  return gaps_of(record);
}

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
  return gaps_of(record);
}

// "handoff p50 over the pidfd floor: vq 1.75x, <other_name> 1.53x".
std::string over_floor(const Figure& vq, const Figure& floor, const Figure& other,
                       const char* other_name) {
  char note[200];
  std::snprintf(note, sizeof note, "handoff p50 over the pidfd floor: vq %.2fx, %s %.2fx",
                median(vq.samples) / median(floor.samples), other_name,
                median(other.samples) / median(floor.samples));
  return note;
}

}  // namespace

void run_handoff(const Context& context, Report& report) {
  const int batches = context.smoke ? 1 : 10;
  const int per_batch = context.smoke ? 6 : 21;
  Figure vq{"handoff", "vq"};
  Figure floor{"handoff", "pidfd floor"};
  Figure flock{"handoff", "flock"};
  Figure sem{"handoff", "sem"};
  Figure baseline{"handoff", "vq baseline"};
  Figure unwatched{"handoff", "vq watching off"};
  for (int batch = 0; batch < batches; ++batch) {
    std::string dir = fresh_dir(context, "handoff");
    auto gaps = handoffs({context.shim, "run"},
                         base_env({"VQ_QUEUE_DIR=" + dir + "/queue", "VQ_MAX_PROCESSES=1",
                                   "VQ_QUEUE_TIMEOUT=0", "VQ_REAL_VITEST=" + context.fake}),
                         per_batch, dir + "/vq.record");
    vq.samples.insert(vq.samples.end(), gaps.begin(), gaps.end());
    // The share of the handoff that starting the next run's watcher takes.
    gaps =
        handoffs({context.shim, "run"},
                 base_env({"VQ_QUEUE_DIR=" + dir + "/unwatched-queue", "VQ_MAX_PROCESSES=1",
                           "VQ_QUEUE_TIMEOUT=0", "VQ_REAL_VITEST=" + context.fake, "VQ_WATCH=0"}),
                 per_batch, dir + "/unwatched.record");
    unwatched.samples.insert(unwatched.samples.end(), gaps.begin(), gaps.end());
    if (!context.baseline_shim.empty()) {
      gaps = handoffs({context.baseline_shim, "run"},
                      base_env({"VQ_QUEUE_DIR=" + dir + "/baseline-queue", "VQ_MAX_PROCESSES=1",
                                "VQ_QUEUE_TIMEOUT=0", "VQ_REAL_VITEST=" + context.fake}),
                      per_batch, dir + "/baseline.record");
      baseline.samples.insert(baseline.samples.end(), gaps.begin(), gaps.end());
    }
    gaps = pidfd_chain(context, per_batch, dir + "/floor.record");
    floor.samples.insert(floor.samples.end(), gaps.begin(), gaps.end());
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
  floor.note = "poll() on a pidfd of the previous run, then exec: no queue at all";
  report.notes.push_back(over_floor(vq, floor, unwatched, "with VQ_WATCH=0"));
  if (!context.baseline_shim.empty()) {
    report.notes.push_back(over_floor(vq, floor, baseline, "baseline build"));
  } else {
    baseline.note = "skipped: no --baseline-shim";
  }
  report.figures.push_back(std::move(vq));
  report.figures.push_back(std::move(floor));
  report.figures.push_back(std::move(flock));
  report.figures.push_back(std::move(sem));
  report.figures.push_back(std::move(baseline));
  report.figures.push_back(std::move(unwatched));
}

}  // namespace vq::bench
