// `vq-admin history` and `vq-admin metrics`: read the run history (and, for metrics, the live
// queue) and print them.
#include <sys/stat.h>

#include <cstdio>
#include <optional>
#include <string>

#include "exit_codes.h"
#include "history_json.h"
#include "history_path.h"
#include "history_report.h"
#include "history_store.h"
#include "metrics_text.h"
#include "queue_choice.h"
#include "status_report.h"
#include "textfile_export.h"
#include "verbs.h"

namespace vq::admin {
namespace {

constexpr std::chrono::milliseconds k_lock_wait{2000};

bool exists(const std::string& path) {
  struct stat file {};
  return ::lstat(path.c_str(), &file) == 0;
}

std::optional<Config> settings(const VerbRequest& request, int& exit_status) {
  auto config = load_admin_config(process_env(), request.queue_dir);
  if (config) return *config;
  error_line(config.error().message + " — fix or unset it");
  exit_status = k_exit_config;
  return std::nullopt;
}

// The history database of this configuration, opened; warnings on the way are printed. None
// (with the error printed) when it cannot be opened, and none without a message when no run
// has been recorded yet (the file does not exist: nothing is created for a reader).
std::optional<history::HistoryStore> open_history(const Config& config, std::string& path,
                                                  std::string& warning, bool& failed) {
  auto place = history::history_place(config);
  if (!place) {
    error_line(place.error().message);
    failed = true;
    return std::nullopt;
  }
  path = place->path;
  warning = place->warning;
  if (!warning.empty()) warning_line(warning);
  if (!exists(path)) return std::nullopt;
  auto store = history::HistoryStore::open(path);
  if (!store) {
    error_line(store.error().message);
    failed = true;
    return std::nullopt;
  }
  if (!store->warning().empty()) {
    warning = store->warning();
    warning_line(warning);
  }
  return std::move(*store);
}

Result<history::HistoryQuery> query_of(const VerbRequest& request) {
  history::HistoryQuery query;
  if (!request.project.empty()) query.project = request.project;
  if (!request.history_agent.empty()) query.agent = request.history_agent;
  if (!request.since.empty()) {
    VQ_TRY_ASSIGN(since, parse_duration(request.since));
    query.since_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count() -
                     *since;
  }
  // Every selected run counts towards the per-project figures; --limit bounds the listing.
  query.limit = static_cast<int>(history::Retention{}.max_rows);
  return query;
}

std::optional<LiveQueue> live_queue(const Config& config) {
  auto queue = attach_queue(config);
  auto report = queue ? collect_status(*queue, k_lock_wait) : Result<StatusReport>(queue.error());
  if (!report) {
    warning_line("no live figures: " + report.error().message);
    return std::nullopt;
  }
  LiveQueue live{report->queue_dir, static_cast<int>(report->active.size()),  report->limit,
                 report->paused,    static_cast<int>(report->waiting.size()), 0};
  for (const WaitingRun& waiting : report->waiting) {
    live.oldest_wait_s = std::max(live.oldest_wait_s, waiting.waiting_s);
  }
  return live;
}

}  // namespace

void warning_line(const std::string& text) {
  std::fprintf(stderr, "vq-admin: warning: %s\n", text.c_str());
}

int history_verb(const VerbRequest& request) {
  int exit_status = k_exit_ok;
  auto config = settings(request, exit_status);
  if (!config) return exit_status;
  auto query = query_of(request);
  if (!query) {
    error_line("--since " + query.error().message);
    return k_exit_usage;
  }
  HistoryView view;
  std::string warning;
  bool failed = false;
  auto store = open_history(*config, view.database, warning, failed);
  if (failed) return k_exit_unavailable;
  if (store) {
    auto runs = store->query(*query);
    if (!runs) {
      if (auto rebuilt = store->rebuild_if_unreadable(runs.error()); !rebuilt) {
        error_line(rebuilt.error().message);
        return k_exit_unavailable;
      }
      warning = store->warning();
      warning_line(warning);
      runs = std::vector<history::RunRecord>{};
    }
    view.projects = summarize(*runs);
    add_learned_estimates(*store, view.projects, epoch_ms_now());
    if (runs->size() > static_cast<std::size_t>(request.history_limit))
      runs->resize(request.history_limit);
    view.runs = std::move(*runs);
  }
  if (request.json) {
    std::printf("%s\n", history_json(view, warning).dump(2).c_str());
  } else {
    std::fputs(render_history_text(view).c_str(), stdout);
  }
  return k_exit_ok;
}

int metrics_verb(const VerbRequest& request) {
  int exit_status = k_exit_ok;
  auto config = settings(request, exit_status);
  if (!config) return exit_status;
  std::string path, warning;
  bool failed = false;
  auto store = open_history(*config, path, warning, failed);
  std::optional<std::vector<history::CounterValue>> counters;
  if (store) {
    auto read = store->counters();
    if (!read && store->rebuild_if_unreadable(read.error())) {
      warning_line(store->warning());
      read = std::vector<history::CounterValue>{};
    }
    if (read) {
      counters = std::move(*read);
    } else {
      warning_line(read.error().message);
    }
  } else if (!failed) {
    counters.emplace();  // no run recorded yet: every counter is 0
  }
  auto live = live_queue(*config);
  if (!counters && !live) return k_exit_unavailable;
  std::string text = render_metrics(counters, live);
  if (request.textfile_dir.empty()) {
    std::fputs(text.c_str(), stdout);
    return k_exit_ok;
  }
  auto written = write_textfile(request.textfile_dir, "vq.prom", text);
  if (!written) {
    error_line(written.error().message + " — check that the directory exists and is writable");
    return k_exit_unavailable;
  }
  return k_exit_ok;
}

}  // namespace vq::admin
