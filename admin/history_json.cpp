#include "history_json.h"

#include "display_text.h"

namespace vq::admin {
namespace {

using history::RunRecord;
using nlohmann::json;

json maybe(const std::optional<std::int64_t>& value) {
  return value ? json(*value) : json(nullptr);
}

json run_json(const RunRecord& run) {
  return {{"queue_dir", json_text(run.queue_dir)},
          {"host", json_text(run.host)},
          {"agent", json_text(run.agent)},
          {"cwd", json_text(run.cwd)},
          {"project", json_text(run.project)},
          {"command", json_text(run.command)},
          {"vitest_version", json_text(run.vitest_version)},
          {"priority", run.priority},
          {"pid", run.pid},
          {"queued_at_ms", run.queued_at_ms},
          {"admitted_at_ms", maybe(run.admitted_at_ms)},
          {"ended_at_ms", run.ended_at_ms},
          {"wait_ms", history::wait_ms(run)},
          {"run_ms", maybe(history::run_ms(run))},
          {"peak_memory_bytes", maybe(run.peak_memory_bytes)},
          {"peak_is_rss", run.peak_is_rss},
          {"cpu_time_ms", maybe(run.cpu_time_ms)},
          {"end", std::string(history::end_name(run.end))},
          {"end_code", run.end_code},
          {"end_text", std::string(history::describe(run.end, run.end_code))},
          {"cluster_permit", run.cluster_permit}};
}

json spread_json(const Spread& spread) {
  return {{"p50", maybe(spread.p50)}, {"p90", maybe(spread.p90)}};
}

json estimate_json(const ProjectSummary& summary) {
  if (!summary.memory_estimate) return nullptr;
  const MemoryEstimate& estimate = *summary.memory_estimate;
  return {{"bytes", estimate.bytes},
          {"samples", estimate.samples},
          {"source", estimate.samples == 0 ? "cold_default" : "learned"}};
}

}  // namespace

json history_json(const HistoryView& view, const std::string& warning) {
  json runs = json::array();
  for (const RunRecord& run : view.runs) runs.push_back(run_json(run));
  json projects = json::array();
  for (const ProjectSummary& summary : view.projects) {
    projects.push_back({{"project", json_text(summary.project)},
                        {"runs", summary.runs},
                        {"wait_ms", spread_json(summary.wait_ms)},
                        {"run_ms", spread_json(summary.run_ms)},
                        {"peak_memory_bytes", spread_json(summary.peak_memory_bytes)},
                        {"memory_estimate", estimate_json(summary)}});
  }
  return {{"schema", k_history_json_schema},
          {"database", json_text(view.database)},
          {"warning", warning.empty() ? json(nullptr) : json(json_text(warning))},
          {"runs", runs},
          {"projects", projects}};
}

}  // namespace vq::admin
