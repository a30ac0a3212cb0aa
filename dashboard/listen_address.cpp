#include "listen_address.h"

#include <boost/asio/ip/address.hpp>
#include <charconv>

namespace vq::dashboard {

bool ListenAddress::is_loopback() const {
  if (!socket_path.empty()) return true;
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

Result<ListenAddress> parse_listen_address(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return Error::of_kind(ErrorKind::bad_config,
                          "--listen " + text + ": " + why +
                              " — give HOST:PORT with a numeric address, e.g. 127.0.0.1:8080 or "
                              "[::1]:0 (port 0 picks a free one)");
  };
  std::size_t colon = text.rfind(':');
  if (colon == std::string::npos) return bad("no port");
  std::string host = text.substr(0, colon);
  std::string port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string::npos) {
    return bad("an IPv6 address goes in brackets");
  }
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() ||
      port > 65535) {
    return bad("'" + port_text + "' is not a port (0 to 65535)");
  }
  boost::system::error_code parse_error;
  boost::asio::ip::make_address(host, parse_error);
  if (parse_error) return bad("'" + host + "' is not a numeric IP address");
  ListenAddress address;
  address.host = host;
  address.port = static_cast<std::uint16_t>(port);
  return address;
}

}  // namespace vq::dashboard
