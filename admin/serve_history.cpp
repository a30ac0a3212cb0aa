#include "serve_history.h"

#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <optional>

#include "history_json.h"
#include "history_path.h"
#include "history_report.h"
#include "history_store.h"
#include "metrics_text.h"

namespace vq::admin {
namespace {

constexpr int k_max_listed_runs = 500;

// The store, or none when no run has been recorded yet; `path` and `warning` are filled.
Result<std::optional<history::HistoryStore>> open_for_reading(const Config& config,
                                                              std::string& path,
                                                              std::string& warning) {
  VQ_TRY_ASSIGN(place, history::history_place(config));
  path = place->path;
  warning = place->warning;
  struct stat file {};
  if (::lstat(path.c_str(), &file) != 0) return std::optional<history::HistoryStore>{};
  VQ_TRY_ASSIGN(store, history::HistoryStore::open(path));
  if (!store->warning().empty()) warning = store->warning();
  return std::optional<history::HistoryStore>(std::move(*store));
}

Result<history::HistoryQuery> query_of(const std::map<std::string, std::string>& params,
                                       int& listed) {
  history::HistoryQuery query;
  auto param = [&](const char* name) -> const std::string* {
    auto found = params.find(name);
    return found == params.end() || found->second.empty() ? nullptr : &found->second;
  };
  if (auto* project = param("project")) query.project = *project;
  if (auto* agent = param("agent")) query.agent = *agent;
  if (auto* since = param("since")) {
    VQ_TRY_ASSIGN(ago, parse_duration(*since));
    query.since_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count() -
                     *ago;
  }
  listed = 50;
  if (auto* limit = param("limit")) {
    auto [end, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), listed);
    if (ec != std::errc{} || end != limit->data() + limit->size() || listed < 1 ||
        listed > k_max_listed_runs) {
      return Error::of_kind(ErrorKind::bad_config, "limit=" + *limit +
                                                       " is not valid — give a whole number from "
                                                       "1 to " +
                                                       std::to_string(k_max_listed_runs));
    }
  }
  query.limit = static_cast<int>(history::Retention{}.max_rows);
  return query;
}

}  // namespace

Result<std::string> history_document(const Config& config,
                                     const std::map<std::string, std::string>& params) {
  int listed = 0;
  auto query = query_of(params, listed);
  if (!query) {
    return Error::of_kind(ErrorKind::bad_config, "history: " + query.error().message);
  }
  HistoryView view;
  std::string warning;
  VQ_TRY_ASSIGN(store, open_for_reading(config, view.database, warning));
  if (*store) {
    VQ_TRY_ASSIGN(runs, (*store)->query(*query));
    view.projects = summarize(*runs);
    add_learned_estimates(**store, view.projects, epoch_ms_now());
    if (runs->size() > static_cast<std::size_t>(listed)) runs->resize(listed);
    view.runs = std::move(*runs);
  }
  return history_json(view, warning).dump() + "\n";
}

Result<std::string> metrics_document(const Config& config, const Result<StatusReport>& live) {
  std::string path, warning;
  std::optional<std::vector<history::CounterValue>> counters;
  auto store = open_for_reading(config, path, warning);
  if (store && *store) {
    auto read = (*store)->counters();
    if (read) counters = std::move(*read);
  } else if (store) {
    counters.emplace();  // no run recorded yet: every counter is 0
  }
  std::optional<LiveQueue> queue;
  if (live) {
    queue = LiveQueue{live->queue_dir, static_cast<int>(live->active.size()),  live->limit,
                      live->paused,    static_cast<int>(live->waiting.size()), 0};
    for (const WaitingRun& waiting : live->waiting) {
      queue->oldest_wait_s = std::max(queue->oldest_wait_s, waiting.waiting_s);
    }
  }
  if (!counters && !queue) return store ? live.error() : store.error();
  return render_metrics(counters, queue);
}

}  // namespace vq::admin
