// Accepts connections and hands each to an HttpConnection on its own strand.
// It keeps accepting after an accept error (after a short pause, e.g. when
// out of file descriptors); connections over the limit get a 503 and close.
//
// Thread contract: run() and stop() from any thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <memory>

#include "server/http_context.h"

namespace driftwatch::server {

class HttpListener : public std::enable_shared_from_this<HttpListener> {
 public:
  // Binds and listens; throws std::runtime_error naming the address on failure.
  HttpListener(boost::asio::io_context& ioc, const boost::asio::ip::tcp::endpoint& endpoint,
               HttpContext& context);

  boost::asio::ip::tcp::endpoint local_endpoint() const { return endpoint_; }
  void run();
  void stop();

 private:
  void do_accept();
  void on_accept(boost::beast::error_code ec, boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  boost::asio::ip::tcp::endpoint endpoint_;
  HttpContext& ctx_;
};

}  // namespace driftwatch::server
