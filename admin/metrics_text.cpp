#include "metrics_text.h"

#include <map>
#include <span>

#include "run_tally.h"

namespace vq::admin {
namespace {

using history::CounterValue;
using history::prometheus_number;
using Samples = std::map<std::pair<std::string, std::string>, double>;

void family(std::string& text, const std::string& name, const char* type, const char* help) {
  text += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

void sample(std::string& text, const std::string& name, const std::string& labels, double value) {
  text += name + (labels.empty() ? "" : "{" + labels + "}") + " " + prometheus_number(value) + "\n";
}

double value_of(const Samples& samples, const std::string& name, const std::string& labels) {
  auto found = samples.find({name, labels});
  return found == samples.end() ? 0 : found->second;
}

// Every bucket is printed, an empty one as 0: absent from the table means nothing fell in it.
void histogram(std::string& text, const Samples& samples, const std::string& name,
               std::span<const double> bounds, const char* help) {
  family(text, name, "histogram", help);
  for (double bound : bounds) {
    std::string le = "le=\"" + prometheus_number(bound) + "\"";
    sample(text, name + "_bucket", le, value_of(samples, name + "_bucket", le));
  }
  sample(text, name + "_bucket", "le=\"+Inf\"", value_of(samples, name + "_bucket", "le=\"+Inf\""));
  sample(text, name + "_sum", "", value_of(samples, name + "_sum", ""));
  sample(text, name + "_count", "", value_of(samples, name + "_count", ""));
}

void history_families(std::string& text, const std::vector<CounterValue>& counters) {
  Samples samples;
  for (const CounterValue& counter : counters)
    samples[{counter.name, counter.labels}] = counter.value;
  family(text, history::k_runs_total, "counter",
         "Runs recorded in the history, by how they ended.");
  for (history::RunEnd end : history::k_all_run_ends) {
    std::string labels = "end=\"" + std::string(history::end_name(end)) + "\"";
    sample(text, history::k_runs_total, labels, value_of(samples, history::k_runs_total, labels));
  }
  histogram(text, samples, history::k_wait_family, history::k_wait_bounds_s,
            "Seconds admitted runs waited in the queue before their turn.");
  histogram(text, samples, history::k_peak_family, history::k_peak_bounds_bytes,
            "Peak memory of each run's process tree in bytes (PSS; RSS where PSS was unreadable).");
  family(text, history::k_cpu_total, "counter",
         "CPU seconds used by the recorded runs' process trees.");
  sample(text, history::k_cpu_total, "", value_of(samples, history::k_cpu_total, ""));
}

void live_families(std::string& text, const LiveQueue& live) {
  std::string labels = "queue_dir=\"" + label_value(live.queue_dir) + "\"";
  family(text, "vq_slots_in_use", "gauge", "Runs holding a slot now.");
  sample(text, "vq_slots_in_use", labels, live.slots_in_use);
  family(text, "vq_slots_limit", "gauge", "How many runs the queue admits at once.");
  sample(text, "vq_slots_limit", labels, live.limit);
  family(text, "vq_queue_paused", "gauge", "1 while admission is paused (vq-admin pause).");
  sample(text, "vq_queue_paused", labels, live.paused ? 1 : 0);
  family(text, "vq_waiting_runs", "gauge", "Runs waiting for a slot now.");
  sample(text, "vq_waiting_runs", labels, live.waiting);
  family(text, "vq_oldest_wait_seconds", "gauge",
         "How long the longest-waiting run has waited (0: none waits).");
  sample(text, "vq_oldest_wait_seconds", labels, live.oldest_wait_s);
}

}  // namespace

std::string label_value(const std::string& text) {
  std::string escaped;
  for (char c : text) {
    if (c == '\\')
      escaped += "\\\\";
    else if (c == '"')
      escaped += "\\\"";
    else if (c == '\n')
      escaped += "\\n";
    else
      escaped += c;
  }
  return escaped;
}

std::string render_metrics(const std::optional<std::vector<CounterValue>>& counters,
                           const std::optional<LiveQueue>& live) {
  std::string text;
  if (counters) history_families(text, *counters);
  if (live) live_families(text, *live);
  return text;
}

}  // namespace vq::admin
