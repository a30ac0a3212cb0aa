// `vq-admin status` for people: the seed's layout, extended with the limit, the pause, usage of
// each holder's process tree, and records that no longer match reality.
#pragma once

#include <string>

#include "status_report.h"

namespace vq::admin {

struct TextStyle {
  bool colour = false;  // ANSI colours: only on a terminal, and never with NO_COLOR set
};

// One line per element, each ending in '\n'.
std::string render_status_text(const StatusReport& report, const TextStyle& style);

// "42s", "3m07s", "2h05m": durations as the status lines show them.
std::string format_duration(double seconds);
// "812 MiB", "1.5 GiB", "640 KiB".
std::string format_bytes(std::uint64_t bytes);
// "2025-01-27 10:30:15", local time.
std::string format_local_time(std::uint64_t epoch_ms);

}  // namespace vq::admin
