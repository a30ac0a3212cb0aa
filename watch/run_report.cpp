#include "run_report.h"

#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <filesystem>

#include "estimate_cache.h"

namespace vq::watch {
namespace {

std::string host_name() {
  char name[HOST_NAME_MAX + 1] = {};
  return ::gethostname(name, sizeof name - 1) == 0 ? name : "";
}

history::RunRecord common_fields(const WatchRequest& request) {
  history::RunRecord run;
  run.queue_dir = request.queue_dir;
  run.host = host_name();
  run.agent = request.agent;
  run.cwd = request.cwd;
  // The shim looks the project's learned memory estimate up by this same name.
  run.project = project_of_vitest(request.vitest);
  run.command = request.command;
  run.vitest_version = request.vitest_version;
  run.priority = request.priority;
  run.pid = request.pid;
  run.queued_at_ms = request.queued_at_ms;
  run.admitted_at_ms = request.admitted_at_ms;
  return run;
}

void set_end(history::RunRecord& run, const RunObservation& seen) {
  if (!seen.status) return;  // RunEnd::unknown
  if (seen.oom_killed) {
    run.end = history::RunEnd::oom_killed;
    run.end_code = WTERMSIG(*seen.status);
  } else if (WIFSIGNALED(*seen.status)) {
    run.end = history::RunEnd::signaled;
    run.end_code = WTERMSIG(*seen.status);
  } else if (WIFEXITED(*seen.status)) {
    run.end = history::RunEnd::exited;
    run.end_code = WEXITSTATUS(*seen.status);
  }
}

}  // namespace

history::RunRecord watched_record(const WatchRequest& request, const RunObservation& seen) {
  history::RunRecord run = common_fields(request);
  run.ended_at_ms = seen.ended_at_ms;
  run.peak_memory_bytes = seen.peak_memory_bytes;
  run.peak_is_rss = seen.peak_is_rss;
  if (seen.last) run.cpu_time_ms = seen.last->cpu_ms;
  set_end(run, seen);
  return run;
}

history::RunRecord unwatched_record(const WatchRequest& request) {
  history::RunRecord run = common_fields(request);
  run.ended_at_ms =
      request.mode == WatchRequest::Mode::record ? request.ended_at_ms : unix_now_ms();
  if (request.end == "timed_out") {
    run.end = history::RunEnd::wait_timed_out;
  } else if (request.end == "interrupted") {
    run.end = history::RunEnd::wait_interrupted;
    run.end_code = request.end_code;
  }
  return run;
}

}  // namespace vq::watch
