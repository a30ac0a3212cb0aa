// `vq-admin metrics`: the Prometheus text exposition format (version 0.0.4). Names start with
// `vq_`, values are in base units (seconds, bytes), counters end in `_total`. Counters and
// histograms come from the history's counters table (they never go down when old rows are
// pruned); gauges come from the live queue, as `status` reads it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "history_store.h"

namespace vq::admin {

struct LiveQueue {
  std::string queue_dir;
  int slots_in_use = 0;
  int limit = 0;
  bool paused = false;
  int waiting = 0;
  double oldest_wait_s = 0;  // 0 when nobody waits
};

// `counters`: none when the history could not be opened (its families are then left out, not
// shown as zeros that would look like a reset). `live`: none when the queue could not be read.
std::string render_metrics(const std::optional<std::vector<history::CounterValue>>& counters,
                           const std::optional<LiveQueue>& live);

// A label value with `\`, `"` and newlines escaped as the format requires.
std::string label_value(const std::string& text);

}  // namespace vq::admin
