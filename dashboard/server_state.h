// What the dashboard server's connections share, all on the server's one thread.
#pragma once

#include <boost/asio.hpp>
#include <optional>
#include <string>

#include "http_server.h"
#include "status_feed.h"
#include "stream_hub.h"

namespace vq::dashboard {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using local = net::local::stream_protocol;

struct ServerState {
  ServerState(RequestRouter request_router, StatusPoll status_poll, ServerLimits server_limits,
              std::uint64_t boot)
      : router(std::move(request_router)),
        poll(std::move(status_poll)),
        limits(server_limits),
        feed(boot, server_limits.figures_interval) {}

  // Looks at the queue; a change goes to every open stream.
  void refresh_feed() {
    auto document = poll();
    if (document && feed.offer(*document, StatusFeed::Clock::now())) {
      hub.broadcast(status_frame(feed.event_id(), feed.document_text()));
    }
  }

  void stop() {
    stopping = true;
    boost::system::error_code ignored;
    if (tcp_acceptor) tcp_acceptor->close(ignored);
    if (unix_acceptor) unix_acceptor->close(ignored);
    hub.close_all();
    poll_timer.cancel();
    heartbeat_timer.cancel();
    retry_accept.cancel();
    // Requests still in flight are dropped with the io_context: nothing waits for a client.
    io.stop();
  }

  net::io_context io{1};
  RequestRouter router;
  StatusPoll poll;
  ServerLimits limits;
  StatusFeed feed;
  StreamHub hub;
  std::optional<tcp::acceptor> tcp_acceptor;
  std::optional<local::acceptor> unix_acceptor;
  std::string socket_path;
  net::steady_timer poll_timer{io};
  net::steady_timer heartbeat_timer{io};
  net::steady_timer retry_accept{io};
  net::signal_set signals{io, SIGINT, SIGTERM};
  int connections = 0;
  bool stopping = false;
};

}  // namespace vq::dashboard
