// One connection to the dashboard, over TCP or a Unix socket: requests read with Beast's
// parser under size limits and a deadline, answered by the router, kept alive between
// requests; GET /api/events turns it into an event stream (EventStream) when the cap allows.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <deque>
#include <memory>
#include <optional>

#include "server_state.h"

namespace vq::dashboard {

// An open event stream: the response head, then frames as raw bytes (no chunking; the stream
// ends when the connection does). Reads only to notice the client leaving.
template <typename Socket>
class EventStream : public StreamSink, public std::enable_shared_from_this<EventStream<Socket>> {
 public:
  EventStream(Socket socket, ServerState& state) : m_socket(std::move(socket)), m_state(state) {
    ++m_state.connections;
  }
  ~EventStream() override { --m_state.connections; }

  void start(const std::string& first_frame) {
    send(std::make_shared<const std::string>(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
        "X-Accel-Buffering: no\r\nConnection: close\r\n\r\n" +
        std::string(k_stream_preamble) + first_frame));
    watch_for_close();
  }

  void send(std::shared_ptr<const std::string> frame) override {
    if (m_closed) return;
    // A client this far behind is not reading: drop it rather than buffer without bound.
    if (m_pending.size() >= m_state.limits.max_pending_frames) return close();
    m_pending.push_back(std::move(frame));
    if (m_pending.size() == 1) write_next();
  }

  void close() override {
    if (m_closed) return;
    m_closed = true;
    m_state.hub.remove(this);
    boost::system::error_code ignored;
    m_socket.shutdown(net::socket_base::shutdown_both, ignored);
    m_socket.close(ignored);
  }

 private:
  void write_next() {
    net::async_write(m_socket, net::buffer(*m_pending.front()),
                     [self = this->shared_from_this()](boost::system::error_code ec, std::size_t) {
                       if (ec) return self->close();
                       self->m_pending.pop_front();
                       if (!self->m_pending.empty() && !self->m_closed) self->write_next();
                     });
  }

  void watch_for_close() {
    m_socket.async_read_some(
        net::buffer(m_ignored),
        [self = this->shared_from_this()](boost::system::error_code ec, std::size_t) {
          if (ec) return self->close();
          self->watch_for_close();
        });
  }

  Socket m_socket;
  ServerState& m_state;
  std::deque<std::shared_ptr<const std::string>> m_pending;
  char m_ignored[512];
  bool m_closed = false;
};

template <typename Socket>
class HttpSession : public std::enable_shared_from_this<HttpSession<Socket>> {
 public:
  HttpSession(Socket socket, ServerState& state, Peer peer)
      : m_socket(std::move(socket)), m_state(state), m_peer(std::move(peer)), m_timer(state.io) {
    ++m_state.connections;
  }
  ~HttpSession() { --m_state.connections; }

  void start() { read_request(); }

 private:
  void read_request() {
    m_parser.emplace();
    m_parser->header_limit(static_cast<std::uint32_t>(m_state.limits.max_header_bytes));
    m_parser->body_limit(m_state.limits.max_body_bytes);
    arm_deadline();
    http::async_read(m_socket, m_buffer, *m_parser,
                     [self = this->shared_from_this()](boost::system::error_code ec, std::size_t) {
                       self->on_request(ec);
                     });
  }

  // A request that does not arrive in time (a slow or idle client) closes the connection.
  void arm_deadline() {
    m_timer.expires_after(m_state.limits.request_timeout);
    m_timer.async_wait([weak = this->weak_from_this()](boost::system::error_code ec) {
      if (ec) return;
      if (auto self = weak.lock()) {
        boost::system::error_code ignored;
        self->m_socket.close(ignored);
      }
    });
  }

  void on_request(boost::system::error_code ec) {
    if (ec == http::error::end_of_stream || ec == net::error::eof ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset ||
        ec == net::error::bad_descriptor) {
      return;
    }
    if (ec == http::error::body_limit)
      return fail(http::status::payload_too_large,
                  "request body over " + std::to_string(m_state.limits.max_body_bytes) + " bytes");
    if (ec == http::error::header_limit)
      return fail(
          http::status::request_header_fields_too_large,
          "request head over " + std::to_string(m_state.limits.max_header_bytes) + " bytes");
    if (ec) return fail(http::status::bad_request, "malformed request: " + ec.message());
    Request request = m_parser->release();
    Reply reply = m_state.router.route(request, m_peer);
    if (reply.opens_stream) return open_stream(request);
    write(std::move(reply.response), request.keep_alive());
  }

  void fail(http::status status, const std::string& why) {
    write(error_response(status, why + " — vq-admin serve answers small HTTP/1.1 requests"), false);
  }

  void write(Response response, bool keep_alive) {
    response.keep_alive(keep_alive);
    m_response = std::make_shared<Response>(std::move(response));
    arm_deadline();
    http::async_write(
        m_socket, *m_response,
        [self = this->shared_from_this(), keep_alive](boost::system::error_code ec, std::size_t) {
          if (!ec && keep_alive) return self->read_request();
          self->m_timer.cancel();
          boost::system::error_code ignored;
          self->m_socket.shutdown(net::socket_base::shutdown_send, ignored);
        });
  }

  void open_stream(const Request& request) {
    if (m_state.hub.size() >= static_cast<std::size_t>(m_state.limits.max_streams)) {
      return write(error_response(http::status::service_unavailable,
                                  "too many open event streams (" +
                                      std::to_string(m_state.limits.max_streams) +
                                      ") — close a dashboard tab, or poll /api/status"),
                   false);
    }
    m_timer.cancel();
    // Other streams get any change first, so the new one's snapshot is not sent twice.
    m_state.refresh_feed();
    std::string last_seen(request["Last-Event-ID"]);
    std::string first = !m_state.feed.has_document() ? std::string(": no status yet\n\n")
                        : m_state.feed.is_current(last_seen)
                            ? std::string(": up to date\n\n")
                            : status_frame(m_state.feed.event_id(), m_state.feed.document_text());
    auto stream = std::make_shared<EventStream<Socket>>(std::move(m_socket), m_state);
    m_state.hub.add(stream);
    stream->start(first);
  }

  Socket m_socket;
  ServerState& m_state;
  Peer m_peer;
  net::steady_timer m_timer;
  boost::beast::flat_buffer m_buffer;
  std::optional<http::request_parser<http::string_body>> m_parser;
  std::shared_ptr<Response> m_response;
};

}  // namespace vq::dashboard
