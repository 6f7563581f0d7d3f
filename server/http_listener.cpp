#include "server/http_listener.h"

#include <spdlog/spdlog.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <stdexcept>

#include "server/http_connection.h"

namespace driftwatch::server {

namespace beast = boost::beast;
namespace net = boost::asio;
using tcp = net::ip::tcp;

HttpListener::HttpListener(net::io_context& ioc, const tcp::endpoint& endpoint,
                           HttpContext& context)
    : ioc_(ioc),
      acceptor_(net::make_strand(ioc)),
      retry_timer_(acceptor_.get_executor()),
      ctx_(context) {
  beast::error_code ec;
  auto check = [&](const char* what) {
    if (ec)
      throw std::runtime_error(std::string("cannot ") + what + " " +
                               endpoint.address().to_string() + ":" +
                               std::to_string(endpoint.port()) + ": " + ec.message());
  };
  acceptor_.open(endpoint.protocol(), ec);
  check("open a socket for");
  acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  check("set SO_REUSEADDR on");
  acceptor_.bind(endpoint, ec);
  check("bind");
  acceptor_.listen(net::socket_base::max_listen_connections, ec);
  check("listen on");
  endpoint_ = acceptor_.local_endpoint(ec);
  check("read the address of");
}

void HttpListener::run() {
  net::dispatch(acceptor_.get_executor(),
                beast::bind_front_handler(&HttpListener::do_accept, shared_from_this()));
}

void HttpListener::stop() {
  net::dispatch(acceptor_.get_executor(), [self = shared_from_this()] {
    beast::error_code ec;
    self->retry_timer_.cancel();
    self->acceptor_.close(ec);
  });
}

void HttpListener::do_accept() {
  // Each connection gets its own strand.
  acceptor_.async_accept(net::make_strand(ioc_),
                         beast::bind_front_handler(&HttpListener::on_accept, shared_from_this()));
}

void HttpListener::on_accept(beast::error_code ec, tcp::socket socket) {
  if (!acceptor_.is_open()) return;  // stopped
  if (ec) {
    // Keep accepting, after a pause: EMFILE and friends clear up.
    spdlog::warn("accept failed: {}", ec.message());
    retry_timer_.expires_after(std::chrono::milliseconds(50));
    retry_timer_.async_wait([self = shared_from_this()](beast::error_code tec) {
      if (!tec && self->acceptor_.is_open()) self->do_accept();
    });
    return;
  }
  socket.set_option(tcp::no_delay(true), ec);
  auto conn = std::make_shared<HttpConnection>(std::move(socket), ctx_);
  // The new connection counts itself, hence '>' rather than '>='.
  if (ctx_.connections.load(std::memory_order_relaxed) > ctx_.settings.max_connections)
    conn->reject();
  else
    conn->run();
  do_accept();
}

}  // namespace driftwatch::server
