// The benchmark driver's shared parts: where the programs are, how a run is timed, and what a
// scenario reports. Each scenario lives in its own file and adds rows to the report.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace vq::bench {

struct Context {
  std::string build_dir;
  std::string shim;           // build/shims/vitest
  std::string baseline_shim;  // another build's shim to compare with (--baseline-shim), or empty
  std::string fake;           // bench_fake
  std::string spawn_loop;     // posix_spawn loop helper
  std::string rss_probe;      // prints its own VmRSS
  std::string max_rss;        // runs a program and prints its ru_maxrss
  std::string pidfd_waiter;   // waits on a pidfd, then execs: the handoff floor
  std::string exec_floor;     // a static program that only execs: the overhead floor of a shim
  std::string preload;        // libvq-preload.so, empty when not built
  std::string empty_preload;  // the do-nothing preload library (the floor)
  std::string script_shell;   // vq-script-shell, empty when not built
  std::string admin;          // vq-admin, empty when not built
  std::string work_dir;       // a private temporary directory
  bool smoke = false;         // tiny counts, for CI: proves the suite runs, not the figures
  bool have_sem = false;      // GNU sem (Debian's parallel package)
  bool have_flock = false;    // flock(1)
};

// One measured quantity: its samples (ms unless the unit says otherwise) and summary.
struct Figure {
  Figure(std::string scenario_name, std::string variant_name, std::string unit_name = "ms")
      : scenario(std::move(scenario_name)),
        variant(std::move(variant_name)),
        unit(std::move(unit_name)) {}
  std::string scenario;  // "overhead", "handoff", …
  std::string variant;   // "vq", "direct", "flock", …
  std::string unit;
  std::vector<double> samples;
  std::string note;  // e.g. why a baseline was skipped
};

struct Target {
  std::string what;  // "uncontended overhead (median, over direct)"
  double limit = 0;  // in the figure's unit
  std::string unit;  // "ms", "ratio", "KiB"
  double measured = 0;
  bool met() const { return measured <= limit; }
};

struct Report {
  std::vector<Figure> figures;
  std::vector<Target> targets;
  std::vector<std::string> notes;
};

double median(std::vector<double> samples);
double percentile(std::vector<double> samples, double p);  // nearest rank, p in (0, 100]

std::int64_t now_ns();  // CLOCK_MONOTONIC, the clock bench_fake records with

// A child process: argv[0] is the program path; env is its complete environment.
pid_t spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
            const std::string& stdin_path = "/dev/null");
struct Finished {
  int status = 0;
  long max_rss_kib = 0;  // ru_maxrss: the larger of the image before exec and after
  double user_ms = 0;
  double system_ms = 0;
};
Finished wait_for(pid_t pid);
// Spawns, waits and returns the wall time in ms; throws if the program fails.
double timed_run(const std::vector<std::string>& argv, const std::vector<std::string>& env);

// PATH, HOME and LANG from this process, plus `extra` ("NAME=value", replacing those three).
std::vector<std::string> base_env(const std::vector<std::string>& extra = {});
std::string fresh_dir(const Context& context, const std::string& name);

struct Record {
  bool start = false;
  pid_t pid = 0;
  std::int64_t ns = 0;
};
std::vector<Record> read_records(const std::string& path);

void run_overhead(const Context& context, Report& report);
void run_watcher_cost(const Context& context, Report& report);
void run_handoff(const Context& context, Report& report);
void run_throughput(const Context& context, Report& report);
void run_memory(const Context& context, Report& report);
void run_preload_cost(const Context& context, Report& report);
void run_script_shell_cost(const Context& context, Report& report);
void run_admin_latency(const Context& context, Report& report);
void run_cluster(const Context& context, Report& report);
void run_room_check_cost(const Context& context, Report& report);

}  // namespace vq::bench
