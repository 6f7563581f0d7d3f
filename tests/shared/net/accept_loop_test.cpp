// The shared accept loop on a real socket (port 0): it hands over what it
// accepts, names the address when it cannot listen, and stops.
#include "shared/net/accept_loop.h"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <stdexcept>
#include <string>

namespace driftwatch::net {
namespace {

using tcp = boost::asio::ip::tcp;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "<no error>";
}

TEST(AcceptLoop, HandsEveryAcceptedSocketToTheCallbackUntilStopped) {
  boost::asio::io_context ioc;
  int accepted = 0;
  std::shared_ptr<AcceptLoop> loop;
  loop =
      std::make_shared<AcceptLoop>(ioc, listen_endpoint("127.0.0.1", 0), [&](tcp::socket&& socket) {
        EXPECT_TRUE(socket.is_open());
        if (++accepted == 3) loop->stop();
      });
  ASSERT_NE(loop->local_endpoint().port(), 0);
  loop->start();
  std::vector<tcp::socket> clients;
  for (int i = 0; i < 3; ++i) {
    clients.emplace_back(ioc);
    clients.back().connect(loop->local_endpoint());
  }
  ioc.run_for(std::chrono::seconds(10));
  EXPECT_EQ(accepted, 3);
  EXPECT_EQ(loop->accept_errors(), 0u);
  EXPECT_TRUE(ioc.stopped()) << "a stopped loop leaves no work behind";
}

TEST(AcceptLoop, NamesTheAddressWhenItCannotListen) {
  EXPECT_EQ(
      error_of([] { listen_endpoint("not-an-ip", 80); }).rfind("bad listen address 'not-an-ip'", 0),
      0u);
  boost::asio::io_context ioc;
  const auto first =
      std::make_shared<AcceptLoop>(ioc, listen_endpoint("127.0.0.1", 0), [](tcp::socket&&) {});
  const std::string taken =
      error_of([&] { AcceptLoop second(ioc, first->local_endpoint(), [](tcp::socket&&) {}); });
  EXPECT_NE(taken.find("cannot bind 127.0.0.1:" + std::to_string(first->local_endpoint().port())),
            std::string::npos)
      << taken;
}

}  // namespace
}  // namespace driftwatch::net
