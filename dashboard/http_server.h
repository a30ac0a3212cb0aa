// The dashboard's HTTP server: Boost.Beast on one thread with one io_context, so an open event
// stream costs a socket and a few buffers, not a thread. Everything it holds is bounded: open
// connections, event streams (503 beyond the cap; other requests are still answered), header
// and body sizes (431, 413), the time a request may take to arrive (closed after), and the
// frames a slow stream client may fall behind (dropped after).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "listen_address.h"
#include "request_router.h"
#include "result.h"

namespace vq::dashboard {

struct ServerLimits {
  int max_streams = 8;
  int max_connections = 64;
  std::size_t max_header_bytes = 8 * 1024;
  std::size_t max_body_bytes = 4 * 1024;
  std::chrono::milliseconds request_timeout{10000};
  std::chrono::milliseconds heartbeat{15000};
  std::chrono::milliseconds poll{250};               // how often the queue is looked at for streams
  std::chrono::milliseconds figures_interval{2000};  // see StatusFeed
  std::size_t max_pending_frames = 32;
};

// The status document the event stream carries; called on the server's thread.
using StatusPoll = std::function<Result<nlohmann::ordered_json>()>;

struct ServerState;

class DashboardServer {
 public:
  DashboardServer(RequestRouter router, StatusPoll poll, ServerLimits limits);
  ~DashboardServer();
  DashboardServer(const DashboardServer&) = delete;
  DashboardServer& operator=(const DashboardServer&) = delete;

  // Binds and listens; returns the bound address as "HOST:PORT" (the port the kernel picked
  // for port 0), or the socket path.
  Result<std::string> listen(const ListenAddress& address);
  // Serves until SIGINT or SIGTERM, then closes every connection, streams included, and
  // returns.
  void run();

 private:
  std::unique_ptr<ServerState> m_state;
};

}  // namespace vq::dashboard
