// 4. Memory: the shim's peak RSS before it execs (ru_maxrss keeps the larger of the image before
//    exec and after it; the fake is far smaller, and the direct fake's figure shows the floor),
//    and what the preload library adds to a process.
#include "bench.h"

#include <sys/wait.h>

#include <fstream>

namespace vq::bench {
namespace {

// Peak RSS of argv as the max_rss helper sees it (a tiny parent, so nothing of ours counts).
double max_rss_kib(const Context& context, std::vector<std::string> argv,
                   const std::vector<std::string>& env) {
  std::string out = context.work_dir + "/max_rss.out";
  argv.insert(argv.begin(),
              {"sh", "-c", "out=$1; shift; exec \"$0\" \"$@\" > \"$out\"", context.max_rss, out});
  wait_for(spawn(argv, env));
  std::ifstream in(out);
  double kib = 0;
  in >> kib;
  return kib;
}

// VmRSS the probe reports about itself at start.
double probe_rss_kib(const Context& context, const std::string& preload) {
  std::string out = context.work_dir + "/rss.out";
  std::vector<std::string> env = base_env();
  if (!preload.empty()) env.push_back("LD_PRELOAD=" + preload);
  std::vector<std::string> argv = {"sh", "-c", "exec \"$0\" > \"$1\"", context.rss_probe, out};
  if (!preload.empty()) {
    // The probe itself must carry the library, not only the shell in front of it.
    argv = {"sh", "-c", "LD_PRELOAD=\"$2\" exec \"$0\" > \"$1\"", context.rss_probe, out, preload};
  }
  wait_for(spawn(argv, base_env()));
  std::ifstream in(out);
  double kib = 0;
  in >> kib;
  return kib;
}

}  // namespace

void run_memory(const Context& context, Report& report) {
  const int runs = context.smoke ? 3 : 15;
  std::string queue = fresh_dir(context, "memory-queue");
  Figure shim{"peak RSS", "vq shim", "KiB"};
  Figure direct{"peak RSS", "direct fake", "KiB"};
  for (int i = 0; i < runs; ++i) {
    shim.samples.push_back(
        max_rss_kib(context, {context.shim, "run"},
                    base_env({"VQ_QUEUE_DIR=" + queue, "VQ_REAL_VITEST=" + context.fake})));
    direct.samples.push_back(max_rss_kib(context, {context.fake}, base_env()));
  }
  report.targets.push_back({"shim peak RSS", 4096, "KiB", median(shim.samples)});
  report.figures.push_back(shim);
  report.figures.push_back(direct);

  if (context.preload.empty()) return;
  Figure none{"RSS at start", "no preload", "KiB"};
  Figure empty{"RSS at start", "empty preload", "KiB"};
  Figure vq{"RSS at start", "libvq-preload", "KiB"};
  for (int i = 0; i < runs; ++i) {
    none.samples.push_back(probe_rss_kib(context, ""));
    empty.samples.push_back(probe_rss_kib(context, context.empty_preload));
    vq.samples.push_back(probe_rss_kib(context, context.preload));
  }
  report.targets.push_back(
      {"RSS the preload adds", 64, "KiB", median(vq.samples) - median(none.samples)});
  report.figures.push_back(none);
  report.figures.push_back(empty);
  report.figures.push_back(vq);
}

}  // namespace vq::bench
