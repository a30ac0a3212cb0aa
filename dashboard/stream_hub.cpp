#include "stream_hub.h"

#include <algorithm>

namespace vq::dashboard {

void StreamHub::remove(const StreamSink* sink) {
  std::erase_if(m_sinks, [&](const auto& held) { return held.get() == sink; });
}

void StreamHub::broadcast(const std::string& frame) {
  auto shared = std::make_shared<const std::string>(frame);
  // A send may drop a slow client, which removes it from m_sinks.
  auto sinks = m_sinks;
  for (const auto& sink : sinks) sink->send(shared);
}

void StreamHub::close_all() {
  auto sinks = std::move(m_sinks);
  m_sinks.clear();
  for (const auto& sink : sinks) sink->close();
}

std::string status_frame(const std::string& id, const std::string& document) {
  return "id: " + id + "\nevent: status\ndata: " + document + "\n\n";
}

}  // namespace vq::dashboard
