#include "server/http_listener.h"

#include "server/http_connection.h"
#include "shared/net/accept_loop.h"

namespace driftwatch::server {

using tcp = boost::asio::ip::tcp;

namespace {

void serve(tcp::socket&& socket, HttpContext& ctx) {
  boost::system::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  auto conn = std::make_shared<HttpConnection>(std::move(socket), ctx);
  // The new connection counts itself, hence '>' rather than '>='.
  if (ctx.connections.load(std::memory_order_relaxed) > ctx.settings.max_connections)
    conn->reject();
  else
    conn->run();
}

}  // namespace

HttpListener::HttpListener(boost::asio::io_context& ioc, const tcp::endpoint& endpoint,
                           HttpContext& context)
    : accept_loop_(std::make_shared<net::AcceptLoop>(
          ioc, endpoint, [&context](tcp::socket&& socket) { serve(std::move(socket), context); })) {
}

HttpListener::~HttpListener() = default;

tcp::endpoint HttpListener::local_endpoint() const { return accept_loop_->local_endpoint(); }

void HttpListener::run() { accept_loop_->start(); }

void HttpListener::stop() { accept_loop_->stop(); }

std::uint64_t HttpListener::accept_errors() const { return accept_loop_->accept_errors(); }

}  // namespace driftwatch::server
