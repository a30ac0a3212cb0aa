// What the event stream carries: the latest status document and its event id. A new event is
// due when the queue changed (someone came, went, moved, paused, the limit changed) — at once —
// or when only the live figures moved (runtime, CPU, memory), at most once per figures
// interval, so an idle open page costs a few events a minute, not one per poll.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace vq::dashboard {

class StatusFeed {
 public:
  using Clock = std::chrono::steady_clock;

  // `boot` tells this server's ids from an earlier one's (a page that reconnects to a restarted
  // server must get a snapshot even when the generation numbers happen to match).
  StatusFeed(std::uint64_t boot, std::chrono::milliseconds figures_interval)
      : m_boot(boot), m_figures_interval(figures_interval) {}

  // Takes a fresh document; returns whether it is a new event (its id then advanced).
  bool offer(const nlohmann::ordered_json& document, Clock::time_point now);

  bool has_document() const { return m_generation > 0; }
  const std::string& document_text() const { return m_text; }
  std::string event_id() const;  // "<boot>-<generation>"
  // Whether a client that saw `last_event_id` (the Last-Event-ID header) already has the
  // latest document, so a reconnect resumes without a repeated snapshot.
  bool is_current(const std::string& last_event_id) const;

 private:
  std::uint64_t m_boot;
  std::chrono::milliseconds m_figures_interval;
  std::uint64_t m_generation = 0;
  std::string m_text;
  std::string m_shape;
  Clock::time_point m_sent_at{};
};

// The document without its live figures: in each entry of its arrays, fractional numbers
// (runtime_s, waiting_s, cpu_*) and byte counts (fields named *_bytes) are dropped. Fields
// other branches add follow the same naming, so the rule needs no list of columns.
nlohmann::ordered_json queue_shape(const nlohmann::ordered_json& document);

}  // namespace vq::dashboard
