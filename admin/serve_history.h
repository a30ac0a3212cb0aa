// The dashboard's GET /api/history and GET /metrics: the documents `vq-admin history --json`
// and `vq-admin metrics` print, built from the same parts (history_place, HistoryStore,
// summarize, history_json, render_metrics), as values instead of printed lines.
#pragma once

#include <map>
#include <string>

#include "config.h"
#include "result.h"
#include "status_report.h"

namespace vq::admin {

// Query parameters: project, agent, since (a duration: 30m, 1d) and limit (runs listed, 1 to
// 500, default 50); the per-project figures cover every run selected. No database yet: an
// empty document (a reader creates none).
Result<std::string> history_document(const Config& config,
                                     const std::map<std::string, std::string>& query);

// The Prometheus text; `live` (none: the queue could not be read) gives the gauges.
Result<std::string> metrics_document(const Config& config, const Result<StatusReport>& live);

}  // namespace vq::admin
