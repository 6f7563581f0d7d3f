// AcceptLoop: the one TCP accept loop of infer-server and drift-exporter, in
// the shape of Beast's http_server_async listener. It listens on one address,
// accepts on its own strand and hands every accepted socket, bound to a
// strand of its own, to on_connection.
//
// Unlike the example's listener it keeps accepting after an accept error
// (EMFILE when out of file descriptors, say) without spinning: AcceptBackoff
// paces the retries (10 ms doubling to 1 s) and the "http accept: ..." warning
// (at most once per 10 s, with the count of failures it did not log). Each
// failure is counted (accept_errors()) and reported to on_error, e.g. for a
// metric.
//
// Thread contract: start() and stop() from any thread; on_connection and
// on_error run on the accept strand; accept_errors() from any thread.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "shared/net/accept_backoff.h"

namespace driftwatch::net {

// The endpoint of a listen address ("127.0.0.1", "::") and port. Throws
// std::runtime_error naming the address when it is not one.
boost::asio::ip::tcp::endpoint listen_endpoint(const std::string& address, std::uint16_t port);

class AcceptLoop : public std::enable_shared_from_this<AcceptLoop> {
 public:
  using OnConnection = std::function<void(boost::asio::ip::tcp::socket&&)>;

  // Opens, binds (SO_REUSEADDR) and listens. Throws std::runtime_error naming
  // the address and the step that failed (port in use, say).
  AcceptLoop(boost::asio::io_context& ioc, const boost::asio::ip::tcp::endpoint& endpoint,
             OnConnection on_connection, std::function<void()> on_error = {});

  // The bound address, with the real port when the endpoint's port was 0.
  const boost::asio::ip::tcp::endpoint& local_endpoint() const { return endpoint_; }
  void start();
  // Stops accepting (a pending retry included); accepted sockets live on.
  void stop();
  std::uint64_t accept_errors() const { return errors_.load(std::memory_order_relaxed); }

 private:
  void do_accept();
  void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);
  void on_failure(const boost::system::error_code& ec);

  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  boost::asio::ip::tcp::endpoint endpoint_;
  const OnConnection on_connection_;
  const std::function<void()> on_error_;
  AcceptBackoff backoff_;  // accept strand only
  // Statistic only; relaxed.
  std::atomic<std::uint64_t> errors_{0};
};

}  // namespace driftwatch::net
