// The watcher's loop: sample the run's tree until its pidfd says it ended, keeping the peak and
// the last figures (published to the live figures file for `vq-admin status`), then classify
// how it ended.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>

#include "live_figures.h"
#include "oom_counter.h"
#include "run_exit.h"
#include "tree_sample.h"
#include "watch_request.h"

namespace vq::watch {

// Twice a second, the least the issue allows: the watchers of 8 runs of 10 processes then take
// under 1 % of a core together (bench/, scenario watchers); a peak shorter than this between two
// samples can be missed.
inline constexpr std::chrono::milliseconds k_sample_period{500};

struct RunObservation {
  std::optional<TreeSample> last;  // none: never sampled
  std::optional<std::int64_t> peak_memory_bytes;
  bool peak_is_rss = false;
  std::optional<WaitStatus> status;  // none: unknown
  bool oom_killed = false;
  std::int64_t ended_at_ms = 0;
};

std::int64_t unix_now_ms();

// "Killed by the OOM killer": died by SIGKILL while its memory cgroup's oom_kill counter went up.
bool is_oom_kill(std::optional<WaitStatus> status, std::optional<std::uint64_t> kills_before,
                 std::optional<std::uint64_t> kills_after);

// Blocks until the process behind `exit` ends. `live` may be null (no figures file).
// `cluster_permit`, when given, is published with each sample (LiveFigures::cluster_permit).
RunObservation watch_run(const ExitWatch& exit, const WatchRequest& request, LiveFiguresFile* live,
                         std::chrono::milliseconds period = k_sample_period,
                         const std::atomic<int>* cluster_permit = nullptr);

}  // namespace vq::watch
