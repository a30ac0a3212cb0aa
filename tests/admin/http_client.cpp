#include "http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vq::mp {

HttpConnection::HttpConnection(int port) {
  m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(m_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(m_fd);
    m_fd = -1;
  }
}

HttpConnection::HttpConnection(const std::string& unix_path) {
  m_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, unix_path.c_str(), sizeof address.sun_path - 1);
  if (::connect(m_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(m_fd);
    m_fd = -1;
  }
}

HttpConnection::~HttpConnection() {
  if (m_fd >= 0) ::close(m_fd);
}

bool HttpConnection::send(const std::string& bytes) {
  std::size_t done = 0;
  while (m_fd >= 0 && done < bytes.size()) {
    ssize_t n = ::send(m_fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return m_fd >= 0;
}

bool HttpConnection::read_some(std::chrono::milliseconds deadline) {
  if (m_fd < 0 || m_closed) return false;
  pollfd fd{m_fd, POLLIN, 0};
  if (::poll(&fd, 1, static_cast<int>(deadline.count())) <= 0) return false;
  char buffer[16384];
  ssize_t n = ::recv(m_fd, buffer, sizeof buffer, 0);
  if (n <= 0) {
    m_closed = true;
    return false;
  }
  m_received.append(buffer, static_cast<std::size_t>(n));
  return true;
}

const std::string& HttpConnection::read_until(const std::string& needle,
                                              std::chrono::milliseconds deadline) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (m_received.find(needle) == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0 || (!read_some(left) && m_closed)) break;
  }
  return m_received;
}

bool HttpConnection::closed_within(std::chrono::milliseconds deadline) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (!m_closed) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    read_some(left);
  }
  return true;
}

std::string http_request_text(const std::string& method, const std::string& target,
                              const std::map<std::string, std::string>& headers,
                              const std::string& body) {
  std::string text =
      method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  for (const auto& [name, value] : headers) text += name + ": " + value + "\r\n";
  if (!body.empty() || method == "POST")
    text += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  return text + "\r\n" + body;
}

HttpReply parse_reply(const std::string& text) {
  HttpReply reply;
  std::size_t head_end = text.find("\r\n\r\n");
  reply.head = text.substr(0, head_end);
  if (head_end != std::string::npos) reply.body = text.substr(head_end + 4);
  if (text.starts_with("HTTP/1.1 ") && text.size() >= 12)
    reply.status = std::stoi(text.substr(9, 3));
  return reply;
}

HttpReply http_exchange(int port, const std::string& request_text) {
  HttpConnection connection(port);
  if (!connection.send(request_text)) return {};
  connection.closed_within(std::chrono::seconds(10));
  return parse_reply(connection.received());
}

}  // namespace vq::mp
