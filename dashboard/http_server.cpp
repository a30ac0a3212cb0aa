#include "http_server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <csignal>
#include <deque>
#include <optional>

#include "http_session.h"
#include "server_state.h"

namespace vq::dashboard {
namespace {

std::uint64_t boot_id() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

Peer peer_of(tcp::socket& socket) {
  boost::system::error_code ec;
  auto remote = socket.remote_endpoint(ec);
  if (ec) return {};
  return {remote.address().to_string() + ":" + std::to_string(remote.port()), std::nullopt};
}

Peer peer_of(local::socket& socket) {
  ucred credentials{};
  socklen_t size = sizeof credentials;
  if (::getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &credentials, &size) != 0) {
    return {"unix", std::nullopt};
  }
  return {"unix pid " + std::to_string(credentials.pid), credentials.uid};
}

template <typename Acceptor>
void accept_next(ServerState& state, Acceptor& acceptor) {
  using Socket = typename Acceptor::protocol_type::socket;
  acceptor.async_accept([&state, &acceptor](boost::system::error_code ec, Socket socket) {
    if (state.stopping) return;
    if (ec) {
      // Out of descriptors, say: try again shortly instead of spinning.
      state.retry_accept.expires_after(std::chrono::milliseconds(100));
      state.retry_accept.async_wait([&state, &acceptor](boost::system::error_code wait_ec) {
        if (!wait_ec) accept_next(state, acceptor);
      });
      return;
    }
    if (state.connections >= state.limits.max_connections) {
      socket.close(ec);  // over the cap: the client sees the connection end
    } else {
      Peer peer = peer_of(socket);
      std::make_shared<HttpSession<Socket>>(std::move(socket), state, std::move(peer))->start();
    }
    accept_next(state, acceptor);
  });
}

void poll_loop(ServerState& state) {
  state.poll_timer.expires_after(state.limits.poll);
  state.poll_timer.async_wait([&state](boost::system::error_code ec) {
    if (ec || state.stopping) return;
    if (state.hub.size() > 0) state.refresh_feed();
    poll_loop(state);
  });
}

void heartbeat_loop(ServerState& state) {
  state.heartbeat_timer.expires_after(state.limits.heartbeat);
  state.heartbeat_timer.async_wait([&state](boost::system::error_code ec) {
    if (ec || state.stopping) return;
    state.hub.broadcast(k_heartbeat_frame);
    heartbeat_loop(state);
  });
}

Result<std::string> listen_tcp(ServerState& state, const ListenAddress& address) {
  boost::system::error_code ec;
  tcp::endpoint endpoint{net::ip::make_address(address.host, ec), address.port};
  auto& acceptor = state.tcp_acceptor.emplace(state.io);
  if (!ec) acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Error{"cannot listen on " + address.host + ":" + std::to_string(address.port) + ": " +
                     ec.message(),
                 ec.value(), ErrorKind::system};
  }
  auto bound = acceptor.local_endpoint(ec);
  std::string host = bound.address().is_v6() ? "[" + bound.address().to_string() + "]"
                                             : bound.address().to_string();
  accept_next(state, acceptor);
  return host + ":" + std::to_string(bound.port());
}

// A socket file left by a server that died is replaced; a live server's is not.
Result<std::string> listen_unix(ServerState& state, const std::string& path) {
  boost::system::error_code ec;
  struct stat info {};
  if (::lstat(path.c_str(), &info) == 0) {
    local::socket probe(state.io);
    probe.connect(local::endpoint(path), ec);
    if (!S_ISSOCK(info.st_mode) || !ec) {
      return Error::of_kind(ErrorKind::bad_config,
                            "--socket " + path + " exists" +
                                (S_ISSOCK(info.st_mode) ? " and a server answers on it" : "") +
                                " — choose another path or remove it");
    }
    ::unlink(path.c_str());
  }
  auto& acceptor = state.unix_acceptor.emplace(state.io);
  mode_t saved = ::umask(0077);  // only this user may connect
  acceptor.open(local(), ec);
  if (!ec) acceptor.bind(local::endpoint(path), ec);
  ::umask(saved);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Error{"cannot listen on the socket " + path + ": " + ec.message(), ec.value(),
                 ErrorKind::system};
  }
  state.socket_path = path;
  accept_next(state, acceptor);
  return path;
}

}  // namespace

DashboardServer::DashboardServer(RequestRouter router, StatusPoll poll, ServerLimits limits)
    : m_state(
          std::make_unique<ServerState>(std::move(router), std::move(poll), limits, boot_id())) {}

DashboardServer::~DashboardServer() {
  if (!m_state->socket_path.empty()) ::unlink(m_state->socket_path.c_str());
}

Result<std::string> DashboardServer::listen(const ListenAddress& address) {
  return address.socket_path.empty() ? listen_tcp(*m_state, address)
                                     : listen_unix(*m_state, address.socket_path);
}

void DashboardServer::run() {
  ServerState& state = *m_state;
  // A client gone mid-write must be an error on that socket, not the end of the server.
  std::signal(SIGPIPE, SIG_IGN);
  state.signals.async_wait([&state](boost::system::error_code, int) { state.stop(); });
  poll_loop(state);
  heartbeat_loop(state);
  state.io.run();
}

}  // namespace vq::dashboard
