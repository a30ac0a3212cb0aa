// `vq-admin history --json`: the runs and the per-project figures (schema in docs/HISTORY.md).
#pragma once

#include <nlohmann/json.hpp>

#include "history_report.h"

namespace vq::admin {

inline constexpr int k_history_json_schema = 1;

nlohmann::json history_json(const HistoryView& view, const std::string& warning);

}  // namespace vq::admin
