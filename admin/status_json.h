// `vq-admin status --json`: the status report in a stable, documented schema (README,
// "status --json"). Fields are only ever added; a change in meaning bumps schema_version.
#pragma once

#include <nlohmann/json.hpp>

#include "status_report.h"

namespace vq::admin {

inline constexpr int k_status_schema_version = 2;

nlohmann::ordered_json status_json(const StatusReport& report);

}  // namespace vq::admin
