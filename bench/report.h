// Rendering a benchmark report.
#pragma once

#include <string>

#include "bench.h"

namespace vq::bench {

std::string machine_line();
std::string to_markdown(const Report& report, bool smoke);
std::string to_json(const Report& report, bool smoke);

}  // namespace vq::bench
