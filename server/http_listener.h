// Accepts connections (through the shared net::AcceptLoop, which backs off
// and rate-limits its log on accept errors) and hands each to an
// HttpConnection on its own strand; connections over the limit get a 503 and
// close.
//
// Thread contract: run() and stop() from any thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <memory>

#include "server/http_context.h"

namespace driftwatch::net {
class AcceptLoop;
}

namespace driftwatch::server {

class HttpListener {
 public:
  // Binds and listens; throws std::runtime_error naming the address on failure.
  HttpListener(boost::asio::io_context& ioc, const boost::asio::ip::tcp::endpoint& endpoint,
               HttpContext& context);
  ~HttpListener();

  boost::asio::ip::tcp::endpoint local_endpoint() const;
  void run();
  void stop();
  std::uint64_t accept_errors() const;

 private:
  std::shared_ptr<net::AcceptLoop> accept_loop_;
};

}  // namespace driftwatch::server
