#include "listen_address.h"

#include <gtest/gtest.h>

namespace vq::dashboard {
namespace {

TEST(ListenAddress, LoopbackWithPortZeroIsTheDefault) {
  ListenAddress address;
  EXPECT_EQ(address.host, "127.0.0.1");
  EXPECT_EQ(address.port, 0);
  EXPECT_TRUE(address.is_loopback());
}

TEST(ListenAddress, ParsesIpv4AndBracketedIpv6) {
  auto v4 = parse_listen_address("0.0.0.0:8080");
  ASSERT_TRUE(v4) << v4.error().message;
  EXPECT_EQ(v4->host, "0.0.0.0");
  EXPECT_EQ(v4->port, 8080);
  EXPECT_FALSE(v4->is_loopback());
  auto v6 = parse_listen_address("[::1]:0");
  ASSERT_TRUE(v6) << v6.error().message;
  EXPECT_EQ(v6->host, "::1");
  EXPECT_TRUE(v6->is_loopback());
}

TEST(ListenAddress, RefusesHostNamesBadPortsAndBareIpv6WithTheFormToGive) {
  for (const char* text :
       {"localhost:80", "127.0.0.1", "127.0.0.1:65536", "127.0.0.1:x", "::1:80", "127.0.0.1:"}) {
    auto address = parse_listen_address(text);
    ASSERT_FALSE(address) << text;
    EXPECT_NE(address.error().message.find("HOST:PORT"), std::string::npos) << text;
  }
}

TEST(ListenAddress, AUnixSocketCountsAsLocal) {
  ListenAddress address;
  address.host = "0.0.0.0";
  address.socket_path = "/tmp/x.sock";
  EXPECT_TRUE(address.is_loopback());
}

}  // namespace
}  // namespace vq::dashboard
