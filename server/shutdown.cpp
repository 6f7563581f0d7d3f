#include "server/shutdown.h"

#include <spdlog/spdlog.h>

#include <csignal>

namespace driftwatch::server {

GracefulShutdown::GracefulShutdown(boost::asio::io_context& ioc, std::chrono::milliseconds drain,
                                   std::chrono::milliseconds grace, HttpContext& context,
                                   Router& router, HttpListener& listener)
    : ioc_(ioc),
      drain_(drain),
      grace_(grace),
      ctx_(context),
      router_(router),
      listener_(listener),
      signals_(ioc, SIGINT, SIGTERM),
      timer_(ioc) {}

void GracefulShutdown::arm() {
  signals_.async_wait([this](boost::system::error_code ec, int sig) { on_signal(ec, sig); });
}

void GracefulShutdown::on_signal(boost::system::error_code ec, int sig) {
  if (ec) return;
  // A second signal stops at once.
  signals_.async_wait([this](boost::system::error_code ec2, int) {
    if (!ec2) ioc_.stop();
  });
  if (sig == SIGTERM && drain_.count() > 0) {
    spdlog::info("signal {}: draining for {} ms (/readyz 503, still serving)", sig, drain_.count());
    router_.start_draining();
    timer_.expires_after(drain_);
    timer_.async_wait([this](boost::system::error_code ec3) {
      if (!ec3) close_listener();
    });
    return;
  }
  spdlog::info("signal {}: shutting down", sig);
  close_listener();
}

void GracefulShutdown::close_listener() {
  spdlog::info("closing the listener ({} requests in flight)", ctx_.in_flight.load());
  ctx_.stopping = true;
  listener_.stop();
  deadline_ = std::chrono::steady_clock::now() + grace_;
  wait_for_in_flight();
}

void GracefulShutdown::wait_for_in_flight() {
  if (ctx_.in_flight.load() == 0 || std::chrono::steady_clock::now() >= deadline_) {
    ioc_.stop();
    return;
  }
  timer_.expires_after(std::chrono::milliseconds(10));
  timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) wait_for_in_flight();
  });
}

}  // namespace driftwatch::server
