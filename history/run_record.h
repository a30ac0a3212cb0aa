// One run as the history keeps it: who ran what, where, when it waited and ran, what it used,
// and how it ended.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vq::history {

// How a run ended. Only what was observed: a run whose end nobody saw is `unknown`, never a guess.
enum class RunEnd { exited, signaled, oom_killed, wait_timed_out, wait_interrupted, unknown };

// "exited 1", "killed by signal 9", "killed by the OOM killer", "timed out waiting",
// "interrupted while waiting (signal 2)", "unknown". The text lives as long as the program.
std::string_view describe(RunEnd end, int code);

// The name the database and `--json` use: "exited", "signaled", "oom_killed", ...
std::string_view end_name(RunEnd end);
// The RunEnd of a stored name; `unknown` for a name this version does not know.
RunEnd end_from_name(std::string_view name);
inline constexpr RunEnd k_all_run_ends[] = {RunEnd::exited,           RunEnd::signaled,
                                            RunEnd::oom_killed,       RunEnd::wait_timed_out,
                                            RunEnd::wait_interrupted, RunEnd::unknown};

struct RunRecord {
  std::string queue_dir;  // the queue's directory path (each row names its queue)
  std::string host;       // gethostname()
  std::string agent;      // as status shows it
  std::string cwd;        // working directory of the launch
  std::string project;  // directory of the real vitest's project (the package.json dir), "" unknown
  std::string command;  // command line as status shows it
  std::string vitest_version;                  // "" unknown
  int priority = 1;                            // its level as VQ_PRIORITY numbers it: 1 normal
  int pid = 0;                                 // vitest's pid (= the shim's)
  std::int64_t queued_at_ms = 0;               // unix epoch milliseconds
  std::optional<std::int64_t> admitted_at_ms;  // none when never admitted
  std::int64_t ended_at_ms = 0;
  std::optional<std::int64_t> peak_memory_bytes;  // none: never sampled
  bool peak_is_rss = false;                       // PSS unreadable, RSS summed instead
  std::optional<std::int64_t> cpu_time_ms;        // the tree's, reaped workers included
  RunEnd end = RunEnd::unknown;
  int end_code = 0;  // exit status (exited) or signal number (signaled, oom_killed)
  // Under VQ_CLUSTER, the run's cluster permit at its end: "held", "lost" (expired or fenced
  // while the run went on), "local-only" (no cluster queue reachable); "" without a cluster.
  std::string cluster_permit;
};

// Milliseconds the run waited: queued to admitted, or queued to ended for a run never admitted.
std::int64_t wait_ms(const RunRecord& run);
// Milliseconds from admitted to ended; none when never admitted.
std::optional<std::int64_t> run_ms(const RunRecord& run);

}  // namespace vq::history
