// vq_bench: runs the benchmark scenarios and writes the Markdown and JSON reports.
#include <stdlib.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>

#include "bench.h"
#include "report.h"

namespace {

bool on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (!dir.empty() && ::access((dir + "/" + program).c_str(), X_OK) == 0) return true;
  }
  return false;
}

std::string existing(const std::vector<std::string>& candidates) {
  for (const auto& path : candidates) {
    if (std::filesystem::exists(path)) return path;
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace vq::bench;
  CLI::App app{"vq benchmarks: vq against direct exec, flock(1), GNU sem and xargs -P4"};
  Context context;
  std::string out_dir;
  std::vector<std::string> only;
  app.add_option("--build", context.build_dir, "build directory holding the programs")->required();
  app.add_option("--out", out_dir, "where to write bench-results.md and bench-results.json")
      ->required();
  app.add_flag("--smoke", context.smoke, "tiny counts: checks the suite runs (for CI)");
  app.add_option(
         "--only", only,
         "scenarios to run (overhead watchers handoff throughput memory preload scriptshell admin "
         "cluster)")
      ->check(CLI::IsMember({"overhead", "watchers", "handoff", "throughput", "memory", "preload",
                             "scriptshell", "admin", "cluster"}));
  app.add_option("--baseline-shim", context.baseline_shim,
                 "another build's vitest shim, measured beside this one in overhead and handoff "
                 "(bench/run --baseline REV)")
      ->check(CLI::ExistingFile);
  CLI11_PARSE(app, argc, argv);

  const std::string& b = context.build_dir;
  context.shim = b + "/shims/vitest";
  context.fake = b + "/bench/bench_fake";
  context.spawn_loop = b + "/bench/spawn_loop";
  context.rss_probe = b + "/bench/rss_probe";
  context.max_rss = b + "/bench/max_rss";
  context.pidfd_waiter = b + "/bench/pidfd_waiter";
  context.exec_floor = b + "/bench/exec_floor";
  context.preload = existing({b + "/libvq-preload.so"});
  context.empty_preload = existing({b + "/bench/libempty-preload.so"});
  context.script_shell = existing({b + "/vq-script-shell"});
  context.admin = existing({b + "/admin/vq-admin", b + "/vq-admin", b + "/bin/vq-admin"});
  context.have_flock = on_path("flock");
  context.have_sem = on_path("sem");
  for (const auto& path : {context.shim, context.fake, context.spawn_loop, context.rss_probe,
                           context.max_rss, context.pidfd_waiter, context.exec_floor}) {
    if (!std::filesystem::exists(path)) {
      std::cerr << "vq_bench: error: " << path << " is missing — build the project first\n";
      return 1;
    }
  }
  std::string pattern = (std::filesystem::temp_directory_path() / "vq-bench-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    std::cerr << "vq_bench: error: cannot create a temporary directory\n";
    return 1;
  }
  context.work_dir = pattern;
  ::setenv("VQ_HISTORY", (context.work_dir + "/history.db").c_str(), 1);
  if (context.have_sem) {
    // GNU parallel asks once per user to cite it; sem runs with HOME set to the work directory.
    std::filesystem::create_directories(context.work_dir + "/.parallel");
    std::ofstream(context.work_dir + "/.parallel/will-cite");
  }

  std::set<std::string> chosen(only.begin(), only.end());
  auto wanted = [&](const char* name) { return chosen.empty() || chosen.count(name) > 0; };
  Report report;
  int status = 0;
  try {
    if (wanted("overhead")) {
      run_overhead(context, report);
      run_room_check_cost(context, report);
    }
    if (wanted("watchers")) run_watcher_cost(context, report);
    if (wanted("handoff")) run_handoff(context, report);
    if (wanted("throughput")) run_throughput(context, report);
    if (wanted("memory")) run_memory(context, report);
    if (wanted("preload")) run_preload_cost(context, report);
    if (wanted("scriptshell")) run_script_shell_cost(context, report);
    if (wanted("admin")) run_admin_latency(context, report);
    if (wanted("cluster")) run_cluster(context, report);
  } catch (const std::exception& e) {
    std::cerr << "vq_bench: error: " << e.what() << "\n";
    status = 1;
  }
  if (!context.have_sem)
    report.notes.push_back("GNU sem not installed: its baselines were skipped");
  // The last runs' watchers may still be writing their rows there: retry for a few seconds.
  std::error_code removal;
  for (int attempt = 0; attempt < 50; ++attempt) {
    std::filesystem::remove_all(context.work_dir, removal);
    if (!removal) break;
    ::usleep(100'000);
  }
  std::filesystem::create_directories(out_dir);
  std::string markdown = to_markdown(report, context.smoke);
  std::ofstream(out_dir + "/bench-results.md") << markdown;
  std::ofstream(out_dir + "/bench-results.json") << to_json(report, context.smoke);
  std::cout << markdown;
  return status;
}
