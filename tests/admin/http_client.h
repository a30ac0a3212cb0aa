// A plain HTTP/1.1 client over POSIX sockets for the dashboard's tests: it shares no code with
// the server, so it sees the bytes a browser or curl would.
#pragma once

#include <chrono>
#include <map>
#include <string>

namespace vq::mp {

struct HttpReply {
  int status = 0;  // 0: no status line came
  std::string head;
  std::string body;
};

class HttpConnection {
 public:
  // TCP to 127.0.0.1:port, or a Unix socket when `unix_path` is given.
  explicit HttpConnection(int port);
  explicit HttpConnection(const std::string& unix_path);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  bool connected() const { return m_fd >= 0; }
  bool send(const std::string& bytes);
  // Reads until `needle` has arrived (or the peer closes, or the deadline passes); returns all
  // read so far.
  const std::string& read_until(const std::string& needle, std::chrono::milliseconds deadline);
  // Whether the peer closed the connection within `deadline`.
  bool closed_within(std::chrono::milliseconds deadline);
  const std::string& received() const { return m_received; }

 private:
  bool read_some(std::chrono::milliseconds deadline);
  int m_fd = -1;
  bool m_closed = false;
  std::string m_received;
};

// "GET /x HTTP/1.1" with Host, Connection: close, the headers, and the body with its length.
std::string http_request_text(const std::string& method, const std::string& target,
                              const std::map<std::string, std::string>& headers = {},
                              const std::string& body = "");
// Sends one request on a new connection and reads the reply to the connection's end.
HttpReply http_exchange(int port, const std::string& request_text);
HttpReply parse_reply(const std::string& text);

}  // namespace vq::mp
