#include "history_report.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>

#include "display_text.h"
#include "learned_estimate.h"

namespace vq::admin {
namespace {

using history::RunRecord;

std::string when(std::int64_t epoch_ms) {
  std::time_t seconds = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm local{};
  ::localtime_r(&seconds, &local);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &local);
  return text;
}

std::string or_dash(const std::optional<std::int64_t>& value, std::string (*shown)(std::int64_t)) {
  return value ? shown(*value) : "-";
}

std::string peak_of(const RunRecord& run) {
  if (!run.peak_memory_bytes) return "-";
  return short_bytes(*run.peak_memory_bytes) + (run.peak_is_rss ? " RSS" : "");
}

std::string spread_of(const Spread& spread, std::string (*shown)(std::int64_t)) {
  return or_dash(spread.p50, shown) + " / " + or_dash(spread.p90, shown);
}

// Columns padded to the widest cell; the last column is not padded.
std::string table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());  // bytes: near enough for UTF-8 names
    }
  }
  std::string text;
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      text += row[i];
      if (i + 1 < row.size()) text += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    text += "\n";
  }
  return text;
}

std::string runs_table(const std::vector<RunRecord>& runs) {
  std::vector<std::vector<std::string>> rows = {
      {"ENDED", "AGENT", "PROJECT", "WAIT", "RUN", "PEAK MEMORY", "CPU", "END"}};
  for (const RunRecord& run : runs) {
    rows.push_back({when(run.ended_at_ms), display_text(run.agent),
                    run.project.empty() ? "-" : display_text(run.project),
                    short_duration(history::wait_ms(run)),
                    or_dash(history::run_ms(run), short_duration), peak_of(run),
                    or_dash(run.cpu_time_ms, short_duration),
                    std::string(history::describe(run.end, run.end_code))});
  }
  return table(rows);
}

std::string estimate_of(const ProjectSummary& summary) {
  if (!summary.memory_estimate) return "-";
  const MemoryEstimate& estimate = *summary.memory_estimate;
  const std::string bytes = short_bytes(static_cast<std::int64_t>(estimate.bytes));
  if (estimate.samples == 0) return bytes + " (cold default)";
  return bytes + " (" + std::to_string(estimate.samples) +
         (estimate.samples == 1 ? " run)" : " runs)");
}

std::string projects_table(const std::vector<ProjectSummary>& projects) {
  std::vector<std::vector<std::string>> rows = {
      {"PROJECT", "RUNS", "WAIT p50 / p90", "RUN p50 / p90", "PEAK MEMORY p50 / p90", "ESTIMATE"}};
  for (const ProjectSummary& summary : projects) {
    rows.push_back({summary.project.empty() ? "(unknown)" : display_text(summary.project),
                    std::to_string(summary.runs), spread_of(summary.wait_ms, short_duration),
                    spread_of(summary.run_ms, short_duration),
                    spread_of(summary.peak_memory_bytes, short_bytes), estimate_of(summary)});
  }
  return table(rows);
}

}  // namespace

Result<std::int64_t> parse_duration(const std::string& text) {
  std::int64_t amount = 0;
  const char* end = text.data() + text.size();
  auto [unit, ec] = std::from_chars(text.data(), end, amount);
  static const std::map<std::string, std::int64_t> k_units = {
      {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}, {"w", 604'800'000}};
  auto found = k_units.find(std::string(unit, end));
  if (ec != std::errc{} || unit == text.data() || amount <= 0 || found == k_units.end() ||
      amount > INT64_MAX / found->second) {
    return Error::of_kind(ErrorKind::bad_config,
                          "'" + display_text(text) +
                              "' is not a duration: give a whole number and a unit, e.g. 45s, "
                              "30m, 2h, 7d, 2w");
  }
  return amount * found->second;
}

std::optional<std::int64_t> percentile(std::vector<std::int64_t> values, int pct) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  std::size_t rank = (values.size() * static_cast<std::size_t>(pct) + 99) / 100;
  return values[std::max<std::size_t>(rank, 1) - 1];
}

std::vector<ProjectSummary> summarize(const std::vector<RunRecord>& runs) {
  struct Figures {
    std::vector<std::int64_t> wait, run, peak;
  };
  std::vector<std::string> order;
  std::map<std::string, Figures> figures;
  for (const RunRecord& run : runs) {
    auto [at, added] = figures.try_emplace(run.project);
    if (added) order.push_back(run.project);
    at->second.wait.push_back(history::wait_ms(run));
    if (auto ran = history::run_ms(run)) at->second.run.push_back(*ran);
    if (run.peak_memory_bytes) at->second.peak.push_back(*run.peak_memory_bytes);
  }
  std::vector<ProjectSummary> summaries;
  for (const std::string& project : order) {
    const Figures& f = figures[project];
    summaries.push_back({project,
                         static_cast<int>(f.wait.size()),
                         {percentile(f.wait, 50), percentile(f.wait, 90)},
                         {percentile(f.run, 50), percentile(f.run, 90)},
                         {percentile(f.peak, 50), percentile(f.peak, 90)},
                         std::nullopt});
  }
  return summaries;
}

void add_learned_estimates(const history::HistoryStore& store,
                           std::vector<ProjectSummary>& projects, std::int64_t now_ms) {
  for (ProjectSummary& summary : projects) {
    if (summary.project.empty()) continue;
    auto estimate = history::learned_estimate(store, summary.project, now_ms);
    if (estimate) summary.memory_estimate = *estimate;
  }
}

std::int64_t epoch_ms_now() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string short_duration(std::int64_t ms) {
  char text[32];
  if (ms < 1000) {
    std::snprintf(text, sizeof text, "%lldms", static_cast<long long>(ms));
  } else if (ms < 60'000) {
    std::snprintf(text, sizeof text, "%.1fs", static_cast<double>(ms) / 1000);
  } else if (ms < 3'600'000) {
    std::snprintf(text, sizeof text, "%lldm%02llds", static_cast<long long>(ms / 60'000),
                  static_cast<long long>(ms / 1000 % 60));
  } else {
    std::snprintf(text, sizeof text, "%lldh%02lldm", static_cast<long long>(ms / 3'600'000),
                  static_cast<long long>(ms / 60'000 % 60));
  }
  return text;
}

std::string short_bytes(std::int64_t bytes) {
  char text[32];
  double mib = static_cast<double>(bytes) / (1 << 20);
  if (mib < 1024) {
    std::snprintf(text, sizeof text, "%.1f MiB", mib);
  } else {
    std::snprintf(text, sizeof text, "%.1f GiB", mib / 1024);
  }
  return text;
}

std::string render_history_text(const HistoryView& view) {
  std::string text = "History: " + display_text(view.database) + "\n";
  if (view.runs.empty()) return text + "No runs recorded that match.\n";
  text += "\nRuns, newest first (" + std::to_string(view.runs.size()) + " shown):\n";
  text += runs_table(view.runs);
  text +=
      "\nPer project (RSS: peak summed from RSS where PSS was unreadable; ESTIMATE: the "
      "memory the next run is expected to need, from the runs it was learned from):\n";
  text += projects_table(view.projects);
  return text;
}

}  // namespace vq::admin
