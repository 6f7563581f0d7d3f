#include "tools/loadgen/url.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace driftwatch::loadgen {
namespace {

TEST(Url, ParsesHostPortAndPath) {
  const Url url = parse_url("http://127.0.0.1:8080/predict");
  EXPECT_EQ(url.host, "127.0.0.1");
  EXPECT_EQ(url.port, "8080");
  EXPECT_EQ(url.target, "/predict");
}

TEST(Url, DefaultsPortAndPath) {
  const Url url = parse_url("HTTP://localhost");
  EXPECT_EQ(url.host, "localhost");
  EXPECT_EQ(url.port, "80");
  EXPECT_EQ(url.target, "/");
}

TEST(Url, ParsesBracketedIpv6) {
  const Url url = parse_url("http://[::1]:9000/predict?x=1");
  EXPECT_EQ(url.host, "::1");
  EXPECT_EQ(url.port, "9000");
  EXPECT_EQ(url.target, "/predict?x=1");
}

TEST(Url, RejectsOtherSchemesAndBadPorts) {
  EXPECT_THROW(parse_url("https://localhost/predict"), std::invalid_argument);
  EXPECT_THROW(parse_url("localhost:8080/predict"), std::invalid_argument);
  EXPECT_THROW(parse_url("http://localhost:0/"), std::invalid_argument);
  EXPECT_THROW(parse_url("http://localhost:70000/"), std::invalid_argument);
  EXPECT_THROW(parse_url("http://localhost:80a/"), std::invalid_argument);
  EXPECT_THROW(parse_url("http://:8080/"), std::invalid_argument);
}

TEST(Url, LoopbackHostsAreOnlyLocalOnes) {
  EXPECT_TRUE(is_loopback_host("localhost"));
  EXPECT_TRUE(is_loopback_host("LOCALHOST"));
  EXPECT_TRUE(is_loopback_host("127.0.0.1"));
  EXPECT_TRUE(is_loopback_host("127.5.6.7"));
  EXPECT_TRUE(is_loopback_host("::1"));
  EXPECT_FALSE(is_loopback_host("10.0.0.1"));
  EXPECT_FALSE(is_loopback_host("0.0.0.0"));
  EXPECT_FALSE(is_loopback_host("example.com"));
  EXPECT_FALSE(is_loopback_host("localhost.example.com"));
}

}  // namespace
}  // namespace driftwatch::loadgen
