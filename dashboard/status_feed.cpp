#include "status_feed.h"

namespace vq::dashboard {
namespace {

using Json = nlohmann::ordered_json;

bool is_figure(const std::string& name, const Json& value) {
  return value.is_number_float() || name.ends_with("_bytes");
}

Json without_figures(const Json& entry) {
  if (!entry.is_object()) return entry;
  Json kept = Json::object();
  for (const auto& [name, value] : entry.items()) {
    if (!is_figure(name, value)) kept[name] = value.is_object() ? without_figures(value) : value;
  }
  return kept;
}

}  // namespace

Json queue_shape(const Json& document) {
  Json shape = Json::object();
  for (const auto& [name, value] : document.items()) {
    if (!value.is_array()) {
      shape[name] = value;
      continue;
    }
    Json entries = Json::array();
    for (const Json& entry : value) entries.push_back(without_figures(entry));
    shape[name] = std::move(entries);
  }
  return shape;
}

bool StatusFeed::offer(const Json& document, Clock::time_point now) {
  std::string text = document.dump();
  if (text == m_text) return false;
  std::string shape = queue_shape(document).dump();
  bool queue_changed = shape != m_shape;
  if (!queue_changed && m_generation > 0 && now - m_sent_at < m_figures_interval) return false;
  m_text = std::move(text);
  m_shape = std::move(shape);
  m_sent_at = now;
  ++m_generation;
  return true;
}

std::string StatusFeed::event_id() const {
  return std::to_string(m_boot) + "-" + std::to_string(m_generation);
}

bool StatusFeed::is_current(const std::string& last_event_id) const {
  return has_document() && last_event_id == event_id();
}

}  // namespace vq::dashboard
