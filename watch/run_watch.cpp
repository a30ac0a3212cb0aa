#include "run_watch.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include <cerrno>

namespace vq::watch {
namespace {

void keep_sample(RunObservation& seen, const TreeSample& sample) {
  seen.last = sample;
  // A peak in PSS and one in RSS are not comparable: once RSS had to be used, it stays marked.
  if (!seen.peak_memory_bytes || sample.memory_bytes > *seen.peak_memory_bytes) {
    seen.peak_memory_bytes = sample.memory_bytes;
  }
  seen.peak_is_rss = seen.peak_is_rss || sample.memory_is_rss;
}

void publish(LiveFiguresFile* live, const WatchRequest& request, const RunObservation& seen,
             const std::atomic<int>* cluster_permit) {
  if (live == nullptr || !seen.last) return;
  LiveFigures figures;
  figures.memory_bytes = seen.last->memory_bytes;
  figures.peak_memory_bytes = seen.peak_memory_bytes.value_or(0);
  figures.memory_is_rss = seen.peak_is_rss;
  figures.cpu_ms = seen.last->cpu_ms;
  figures.sampled_at_ms = unix_now_ms();
  if (cluster_permit != nullptr) figures.cluster_permit = cluster_permit->load();
  live->write(request.slot, ProcessIdentity{request.pid, request.start_time}, figures);
}

// Waits on the pidfd until it is readable (the run ended) or `timeout` passes.
bool ended_within(int pidfd, std::chrono::milliseconds timeout) {
  pollfd watched{pidfd, POLLIN, 0};
  int ready;
  do {
    ready = ::poll(&watched, 1, static_cast<int>(timeout.count()));
  } while (ready < 0 && errno == EINTR);
  return ready != 0;  // readable, or poll failed: stop rather than spin
}

}  // namespace

std::int64_t unix_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

bool is_oom_kill(std::optional<WaitStatus> status, std::optional<std::uint64_t> kills_before,
                 std::optional<std::uint64_t> kills_after) {
  return status && WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL && kills_before &&
         kills_after && *kills_after > *kills_before;
}

RunObservation watch_run(const ExitWatch& exit, const WatchRequest& request, LiveFiguresFile* live,
                         std::chrono::milliseconds period, const std::atomic<int>* cluster_permit) {
  RunObservation seen;
  // The shim's baseline, taken before vitest started, when it has one; else one taken now,
  // which misses a kill that came before this watcher was up.
  const OomCounter oom =
      request.oom_file.empty() ? OomCounter::of(request.pid) : OomCounter::at(request.oom_file);
  const auto kills_before = request.oom_file.empty() ? oom.read() : request.oom_kills_before;
  using clock = std::chrono::steady_clock;
  auto next_sample = clock::now();
  for (;;) {
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_sample - clock::now());
    if (ended_within(exit.pidfd(), std::max(wait, std::chrono::milliseconds(0)))) break;
    if (auto sample = sample_tree(request.pid)) keep_sample(seen, *sample);
    publish(live, request, seen, cluster_permit);
    next_sample += period;
    // Behind schedule (stopped, or a loaded machine): sample next a period from now.
    if (next_sample < clock::now()) next_sample = clock::now() + period;
  }
  seen.status = exit.collect();
  seen.ended_at_ms = unix_now_ms();
  seen.oom_killed = is_oom_kill(seen.status, kills_before, oom.read());
  return seen;
}

}  // namespace vq::watch
