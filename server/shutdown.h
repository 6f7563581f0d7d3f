// GracefulShutdown: what SIGINT and SIGTERM do to infer-server.
//
// SIGTERM with a drain period (--drain-ms): /readyz answers 503 for that long
// while /predict is still served, so load balancers take the replica out
// first. Then (and at once on SIGINT, or with --drain-ms 0): stop accepting,
// let requests in flight finish (up to --shutdown-grace-ms), stop the I/O
// threads. Another signal stops at once.
//
// Thread contract: construct and arm() before the io_context runs; its
// handlers run on the io_context's threads.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>

#include "server/http_context.h"
#include "server/http_listener.h"
#include "server/routes.h"

namespace driftwatch::server {

class GracefulShutdown {
 public:
  GracefulShutdown(boost::asio::io_context& ioc, std::chrono::milliseconds drain,
                   std::chrono::milliseconds grace, HttpContext& context, Router& router,
                   HttpListener& listener);

  // Starts waiting for SIGINT and SIGTERM.
  void arm();

 private:
  void on_signal(boost::system::error_code ec, int sig);
  void close_listener();
  void wait_for_in_flight();

  boost::asio::io_context& ioc_;
  const std::chrono::milliseconds drain_;
  const std::chrono::milliseconds grace_;
  HttpContext& ctx_;
  Router& router_;
  HttpListener& listener_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer timer_;
  std::chrono::steady_clock::time_point deadline_{};
};

}  // namespace driftwatch::server
