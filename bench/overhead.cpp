// 1. Uncontended overhead: one launch at a time through vq's shim, against direct exec (the
//    floor), the exec floor (a static program that only execs: what any shim on PATH pays) and
//    the tools users would otherwise pick (flock(1), GNU sem).
#include <array>
#include <cstdio>

#include "bench.h"

namespace vq::bench {
namespace {

std::vector<std::string> with_watching_off(std::vector<std::string> env) {
  env.push_back("VQ_WATCH=0");
  return env;
}

std::vector<std::string> with_memory_admission_off(std::vector<std::string> env) {
  env.push_back("VQ_MEMORY_ADMISSION=0");
  return env;
}

}  // namespace

void run_overhead(const Context& context, Report& report) {
  const int runs = context.smoke ? 20 : 300;
  std::string queue = fresh_dir(context, "overhead-queue");
  std::string lock = fresh_dir(context, "overhead-flock") + "/lock";
  std::vector<std::string> fake_env = base_env();
  std::vector<std::string> shim_env =
      base_env({"VQ_QUEUE_DIR=" + queue, "VQ_REAL_VITEST=" + context.fake});

  struct Variant {
    std::string name;
    std::vector<std::string> argv;
    std::vector<std::string> env;
    bool enabled;
  };
  std::vector<Variant> variants = {
      {"direct", {context.fake}, fake_env, true},
      {"vq", {context.shim, "run"}, shim_env, true},
      {"exec floor", {context.exec_floor, context.fake}, fake_env, true},
      {"flock", {"flock", lock, context.fake}, fake_env, context.have_flock},
      {"vq baseline", {context.baseline_shim, "run"}, shim_env, !context.baseline_shim.empty()},
      {"sem",
       {"sem", "--fg", "-j4", "--id", "vq-bench-overhead-" + queue.substr(queue.size() - 2),
        context.fake},
       base_env({"HOME=" + context.work_dir}),
       context.have_sem},
      // The baseline of the memory room check (probes, holders' memory, the estimates file):
      // the same shim counting slots alone, on the same idle queue with room. Both sides of
      // this comparison start no watcher, whose double fork would drown 0.1 ms in noise.
      {"vq memory admission off, watching off",
       {context.shim, "run"},
       with_memory_admission_off(with_watching_off(shim_env)),
       true},
      // The baseline of watching: the same shim with VQ_WATCH=0 (no double fork, no vq-watch).
      {"vq watching off", {context.shim, "run"}, with_watching_off(shim_env), true},
  };
  std::vector<Figure> figures;
  for (const auto& variant : variants) {
    Figure figure{"overhead", variant.name};
    if (!variant.enabled) {
      figure.note = variant.argv[0].empty() ? "skipped: no --baseline-shim"
                                            : "skipped: " + variant.argv[0] + " is not installed";
    }
    figures.push_back(figure);
  }
  // GNU sem starts perl each time (~100 ms): fewer runs, or it would dominate the suite.
  const int sem_runs = context.smoke ? 3 : 30;
  for (int i = 0; i < runs; ++i) {
    for (std::size_t k = 0; k < variants.size(); ++k) {
      std::size_t v = (i + k) % variants.size();  // rotate so no variant always goes first
      if (!variants[v].enabled || (variants[v].name == "sem" && i >= sem_runs)) continue;
      figures[v].samples.push_back(timed_run(variants[v].argv, variants[v].env));
    }
  }
  double direct = median(figures[0].samples);
  report.targets.push_back({"uncontended overhead over direct exec, median", 1.0, "ms",
                            median(figures[1].samples) - direct});
  report.targets.push_back({"launch overhead of watching (on over VQ_WATCH=0), median", 0.3, "ms",
                            median(figures[1].samples) - median(figures.back().samples)});
  report.targets.push_back(
      {"launch overhead of memory admission (on over VQ_MEMORY_ADMISSION=0, watching off), median",
       0.1, "ms", median(figures.back().samples) - median(figures[figures.size() - 2].samples)});
  char note[200];
  std::snprintf(note, sizeof note,
                "overhead: the exec floor (a static program that only execs) adds %.2f ms over"
                " direct exec; vq's own work is the rest, %.2f ms (medians)",
                median(figures[2].samples) - direct,
                median(figures[1].samples) - median(figures[2].samples));
  report.notes.push_back(note);
  if (!context.baseline_shim.empty()) {
    std::snprintf(
        note, sizeof note,
        "overhead: vq's own work (minus the exec floor) %.3f ms, baseline build's %.3f ms:"
        " ratio %.2f",
        median(figures[1].samples) - median(figures[2].samples),
        median(figures[4].samples) - median(figures[2].samples),
        (median(figures[1].samples) - median(figures[2].samples)) /
            (median(figures[4].samples) - median(figures[2].samples)));
    report.notes.push_back(note);
  }
  for (auto& figure : figures) report.figures.push_back(std::move(figure));
}

}  // namespace vq::bench
