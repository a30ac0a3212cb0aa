// Where `vq-admin serve` listens: `HOST:PORT` (an IPv4 address, or an IPv6 one in brackets) on
// TCP, or a Unix socket path. Loopback unless the user names another address.
#pragma once

#include <cstdint>
#include <string>

#include "result.h"

namespace vq::dashboard {

struct ListenAddress {
  std::string host = "127.0.0.1";  // numeric only: no resolver (vq-admin is linked statically)
  std::uint16_t port = 0;          // 0: the kernel picks a free one
  std::string socket_path;         // set: a Unix socket instead of TCP
  bool is_loopback() const;
};

// Parses `--listen` text. Host names are refused with the numeric form to give instead.
Result<ListenAddress> parse_listen_address(const std::string& text);

}  // namespace vq::dashboard
