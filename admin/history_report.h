// `vq-admin history`'s facts and text: the runs newest first, and per project the p50/p90 of
// wait, run time and peak memory.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "history_store.h"
#include "memory_estimate.h"
#include "result.h"
#include "run_record.h"

namespace vq::admin {

// "30m", "2h", "7d", "45s", "2w" as milliseconds; an error naming the accepted forms otherwise.
Result<std::int64_t> parse_duration(const std::string& text);

struct Spread {
  std::optional<std::int64_t> p50, p90;  // none when no run has the figure
};

struct ProjectSummary {
  std::string project;  // "" for runs whose project is unknown
  int runs = 0;
  Spread wait_ms, run_ms, peak_memory_bytes;
  // What the next launch of this project expects to peak at (learned from all its runs, not
  // only the selected ones); none for runs of unknown project, which the shim cannot name.
  std::optional<MemoryEstimate> memory_estimate;
};

// Nearest-rank percentile (0 < pct <= 100) of `values`; none when empty.
std::optional<std::int64_t> percentile(std::vector<std::int64_t> values, int pct);

// One summary per project, in the order of each project's newest run.
std::vector<ProjectSummary> summarize(const std::vector<history::RunRecord>& runs);

// Fills each named project's memory_estimate from the store (history/learned_estimate), as the
// watcher computes it after a run; a project whose runs cannot be read keeps none ("-").
void add_learned_estimates(const history::HistoryStore& store,
                           std::vector<ProjectSummary>& projects, std::int64_t now_ms);
// Now, in unix epoch milliseconds (the history's clock).
std::int64_t epoch_ms_now();

struct HistoryView {
  std::string database;
  std::vector<history::RunRecord> runs;  // newest first, at most --limit
  std::vector<ProjectSummary> projects;  // over every run the filters select
};

// Seconds and bytes made short: "850ms", "12.3s", "4m05s", "1h02m"; "300.0 MiB", "1.2 GiB".
std::string short_duration(std::int64_t ms);
std::string short_bytes(std::int64_t bytes);

std::string render_history_text(const HistoryView& view);

}  // namespace vq::admin
