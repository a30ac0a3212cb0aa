// The open event streams (Server-Sent Events, WHATWG HTML §9.2) and what is sent to all of
// them: a status event on each change, a comment as heartbeat. One stream per page carries
// everything, since browsers allow about six connections per origin over HTTP/1.1.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace vq::dashboard {

class StreamSink {
 public:
  virtual ~StreamSink() = default;
  virtual void send(std::shared_ptr<const std::string> frame) = 0;
  virtual void close() = 0;
};

class StreamHub {
 public:
  void add(std::shared_ptr<StreamSink> sink) { m_sinks.push_back(std::move(sink)); }
  void remove(const StreamSink* sink);
  void broadcast(const std::string& frame);
  void close_all();
  std::size_t size() const { return m_sinks.size(); }

 private:
  std::vector<std::shared_ptr<StreamSink>> m_sinks;
};

// `id: <id>`, `event: status` and the document as one `data:` line (JSON dumped without
// indentation has no newline).
std::string status_frame(const std::string& id, const std::string& document);
inline constexpr const char* k_heartbeat_frame = ": heartbeat\n\n";
// The first bytes of a stream: how soon a browser reconnects after the server went away.
inline constexpr const char* k_stream_preamble = "retry: 1000\n\n";

}  // namespace vq::dashboard
