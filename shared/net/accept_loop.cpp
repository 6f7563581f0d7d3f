#include "shared/net/accept_loop.h"

#include <spdlog/spdlog.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/strand.hpp>
#include <stdexcept>
#include <utility>

namespace driftwatch::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

tcp::endpoint listen_endpoint(const std::string& address, std::uint16_t port) {
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(address, ec);
  if (ec) throw std::runtime_error("bad listen address '" + address + "': " + ec.message());
  return {ip, port};
}

AcceptLoop::AcceptLoop(asio::io_context& ioc, const tcp::endpoint& endpoint,
                       OnConnection on_connection, std::function<void()> on_error)
    : ioc_(ioc),
      acceptor_(asio::make_strand(ioc)),
      retry_timer_(acceptor_.get_executor()),
      on_connection_(std::move(on_connection)),
      on_error_(std::move(on_error)) {
  boost::system::error_code ec;
  const auto check = [&](const char* what) {
    if (ec)
      throw std::runtime_error(std::string("cannot ") + what + " " +
                               endpoint.address().to_string() + ":" +
                               std::to_string(endpoint.port()) + ": " + ec.message());
  };
  acceptor_.open(endpoint.protocol(), ec);
  check("open a socket for");
  acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  check("set SO_REUSEADDR on");
  acceptor_.bind(endpoint, ec);
  check("bind");
  acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  check("listen on");
  endpoint_ = acceptor_.local_endpoint(ec);
  check("read the address of");
}

void AcceptLoop::start() {
  asio::dispatch(acceptor_.get_executor(), [self = shared_from_this()] { self->do_accept(); });
}

void AcceptLoop::stop() {
  asio::dispatch(acceptor_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ec;
    self->retry_timer_.cancel();
    self->acceptor_.close(ec);
  });
}

void AcceptLoop::do_accept() {
  // Each connection gets its own strand.
  acceptor_.async_accept(
      asio::make_strand(ioc_),
      [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
        self->on_accept(ec, std::move(socket));
      });
}

void AcceptLoop::on_accept(boost::system::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;  // stopped
  if (ec) return on_failure(ec);
  backoff_.on_success();
  on_connection_(std::move(socket));
  do_accept();
}

void AcceptLoop::on_failure(const boost::system::error_code& ec) {
  errors_.fetch_add(1, std::memory_order_relaxed);
  if (on_error_) on_error_();
  const AcceptBackoff::Step step = backoff_.on_failure(AcceptBackoff::Clock::now());
  if (step.log && step.unlogged > 0) {
    spdlog::warn("http accept: {} (and {} more failed accepts in the last {} s; backing off)",
                 ec.message(), step.unlogged, step.since_last_log.count());
  } else if (step.log) {
    spdlog::warn("http accept: {} (backing off)", ec.message());
  }
  // Keep accepting, after the pause: EMFILE and friends clear up.
  retry_timer_.expires_after(step.delay);
  retry_timer_.async_wait([self = shared_from_this()](boost::system::error_code tec) {
    if (!tec && self->acceptor_.is_open()) self->do_accept();
  });
}

}  // namespace driftwatch::net
