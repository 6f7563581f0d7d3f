#include "server/http_connection.h"

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <string>

#include "shared/ring/route_table.h"

namespace driftwatch::server {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

constexpr char kServerName[] = "driftwatch-infer-server";
// After the last reply on a connection we close, how long to read and discard
// what the client still sends (an oversized body), so that it gets our reply
// instead of a reset.
constexpr std::chrono::milliseconds kDrainTime{2000};

std::string_view to_sv(beast::string_view s) { return {s.data(), s.size()}; }

bool is_http_error(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_target).category();
}

}  // namespace

HttpConnection::HttpConnection(tcp::socket&& socket, HttpContext& context)
    : socket_(std::move(socket)), timer_(socket_.get_executor()), ctx_(context) {
  ctx_.connections.fetch_add(1, std::memory_order_relaxed);
}

HttpConnection::~HttpConnection() {
  if (counted_in_flight_) ctx_.in_flight.fetch_sub(1, std::memory_order_relaxed);
  ctx_.connections.fetch_sub(1, std::memory_order_relaxed);
}

void HttpConnection::run() {
  // Start on the connection's strand: the socket was accepted onto it.
  net::dispatch(socket_.get_executor(),
                beast::bind_front_handler(&HttpConnection::do_read, shared_from_this()));
}

void HttpConnection::reject() {
  net::dispatch(socket_.get_executor(), [self = shared_from_this()] {
    self->started_ = Clock::now();
    self->keep_alive_ = false;
    self->do_write(error_reply(503, "too_many_connections",
                               "the server has reached its connection limit; retry shortly"));
  });
}

void HttpConnection::do_read() {
  // A fresh parser per message: the limits apply to each request.
  parser_.emplace();
  parser_->header_limit(ctx_.settings.max_header_bytes);
  parser_->body_limit(ctx_.settings.max_body_bytes);
  method_ = ring::Method::kOther;
  handler_ = ring::Handler::kNone;
  head_ = false;
  keep_alive_ = false;
  body_bytes_ = 0;
  request_id_ = 0;
  started_ = Clock::now();
  waiting_ = Waiting::kRead;
  arm_timer(ctx_.settings.read_timeout);
  http::async_read_header(
      socket_, buffer_, *parser_,
      beast::bind_front_handler(&HttpConnection::on_read_header, shared_from_this()));
}

void HttpConnection::on_read_header(beast::error_code ec, std::size_t) {
  if (ec) return on_read_error(ec);
  started_ = Clock::now();
  auto& req = parser_->get();
  note_request_line();
  keep_alive_ = req.keep_alive();
  if (parser_->is_done()) return dispatch_request();
  // The body gets its own deadline, counted from the end of the header.
  arm_timer(ctx_.settings.read_timeout);
  auto read_body = [self = shared_from_this()] {
    http::async_read(self->socket_, self->buffer_, *self->parser_,
                     beast::bind_front_handler(&HttpConnection::on_read_body, self));
  };
  const auto expect = req.find(http::field::expect);
  if (expect != req.end() && beast::iequals(expect->value(), "100-continue")) {
    static const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
    net::async_write(socket_, net::buffer(kContinue, sizeof kContinue - 1),
                     [self = shared_from_this(), read_body](beast::error_code wec, std::size_t) {
                       if (wec) return self->on_read_error(wec);
                       read_body();
                     });
    return;
  }
  read_body();
}

void HttpConnection::note_request_line() {
  // The one route-table lookup of this request; the router dispatches on it.
  const auto& req = parser_->get();
  method_ = ring::method_from_name(to_sv(req.method_string()));
  handler_ = ring::handler_for_target(to_sv(req.target()));
  head_ = req.method() == http::verb::head;
}

void HttpConnection::on_read_body(beast::error_code ec, std::size_t) {
  if (ec) return on_read_error(ec);
  dispatch_request();
}

void HttpConnection::on_read_error(beast::error_code ec) {
  const bool timed_out = timed_out_;
  waiting_ = Waiting::kNothing;
  timer_.cancel();
  // The request line and fields are known when the header was complete, and
  // also when the body limit tripped on the Content-Length just parsed.
  if (parser_ && (parser_->is_header_done() || !parser_->get().target().empty())) {
    note_request_line();
  }
  keep_alive_ = false;
  if (ec == http::error::end_of_stream) return do_close();  // the client closed between requests
  if (ec == net::error::operation_aborted && timed_out) {
    const bool partial = (parser_ && parser_->got_some()) || buffer_.size() > 0;
    if (!partial) return do_close();  // idle keep-alive connection: just close
    return do_write(error_reply(408, "request_timeout",
                                "the request was not received within " +
                                    std::to_string(ctx_.settings.read_timeout.count()) + " ms"));
  }
  if (ec == http::error::body_limit) {
    return do_write(error_reply(413, "body_too_large",
                                "the body is over the limit of " +
                                    std::to_string(ctx_.settings.max_body_bytes) + " bytes"));
  }
  if (ec == http::error::header_limit) {
    return do_write(error_reply(431, "header_too_large",
                                "the request header is over the limit of " +
                                    std::to_string(ctx_.settings.max_header_bytes) + " bytes"));
  }
  if (is_http_error(ec)) {
    return do_write(error_reply(400, "bad_request", "malformed HTTP request: " + ec.message()));
  }
  // Reset by the peer, shutdown, ...: nobody to answer. Let the object go.
  if (ec != net::error::operation_aborted)
    spdlog::debug("connection read failed: {}", ec.message());
}

void HttpConnection::dispatch_request() {
  waiting_ = Waiting::kNothing;
  timer_.cancel();
  http::request<http::string_body> msg = parser_->release();
  HttpRequest req;
  req.method = method_;
  req.method_name = std::string(msg.method_string());
  req.target = std::string(msg.target());
  req.handler = handler_;
  const auto ct = msg.find(http::field::content_type);
  if (ct != msg.end()) {
    req.has_content_type = true;
    req.content_type = std::string(ct->value());
  }
  if (handler_ == ring::Handler::kFeedback) {  // the only route that checks credentials
    const auto auth = msg.find(http::field::authorization);
    if (auth != msg.end()) req.authorization = std::string(auth->value());
  }
  body_bytes_ = static_cast<std::uint32_t>(std::min<std::size_t>(msg.body().size(), UINT32_MAX));
  req.body = std::move(msg.body());
  request_id_ = ctx_.next_request_id.fetch_add(1, std::memory_order_relaxed);
  req.request_id = request_id_;
  req.received = started_;
  ctx_.in_flight.fetch_add(1, std::memory_order_relaxed);
  counted_in_flight_ = true;
  // The router may answer inline or from an inference thread; either way the
  // reply comes back to this connection's strand.
  ctx_.router.handle(std::move(req), [self = shared_from_this()](Reply&& reply) {
    net::dispatch(self->socket_.get_executor(),
                  [self, reply = std::move(reply)]() mutable { self->on_reply(std::move(reply)); });
  });
}

void HttpConnection::on_reply(Reply&& reply) { do_write(std::move(reply)); }

void HttpConnection::do_write(Reply&& reply) {
  auto res = std::make_shared<http::response<http::string_body>>(
      static_cast<http::status>(reply.status), 11);
  res->set(http::field::server, kServerName);
  res->set(http::field::content_type, reply.content_type);
  for (const auto& [name, value] : reply.headers) res->set(name, value);
  const bool close = reply.close || !keep_alive_ || ctx_.stopping.load(std::memory_order_relaxed);
  res->keep_alive(!close);
  if (head_) {
    res->content_length(reply.body.size());  // HEAD: the GET's length, no body
  } else {
    res->body() = std::move(reply.body);
    res->prepare_payload();
  }

  // The one ring record of this request: the route's part is in it already.
  RequestRecord& record = reply.record;
  record.set_request(
      method_, handler_,
      request_id_ != 0 ? request_id_ : ctx_.next_request_id.fetch_add(1, std::memory_order_relaxed),
      body_bytes_);
  const Clock::time_point finished = Clock::now();
  record.finish(reply.status, started_, finished);
  ctx_.sink.write(record.fields(), record.embedding().data(), record.embedding().size());
  std::uint64_t held_back = 0;
  if (reply.status < 500) {
    spdlog::debug("{} {} -> {} in {:.3f} ms", ring::method_label(method_),
                  ring::handler_label(handler_), reply.status,
                  record.fields().latency_total_ns / 1e6);
  } else if (ctx_.server_error_log.admit(
                 std::chrono::nanoseconds(finished.time_since_epoch()).count(), &held_back)) {
    spdlog::warn("{} {} -> {} ({}){}", ring::method_label(method_), ring::handler_label(handler_),
                 reply.status, res->body().substr(0, 200),
                 held_back == 0 ? std::string()
                                : fmt::format("; {} more 5xx since the last such line", held_back));
  }

  response_ = std::move(res);
  waiting_ = Waiting::kWrite;
  arm_timer(ctx_.settings.read_timeout);
  http::async_write(
      socket_, *response_,
      beast::bind_front_handler(&HttpConnection::on_write, shared_from_this(), close));
}

void HttpConnection::on_write(bool close, beast::error_code ec, std::size_t) {
  waiting_ = Waiting::kNothing;
  timer_.cancel();
  if (counted_in_flight_) {
    ctx_.in_flight.fetch_sub(1, std::memory_order_relaxed);
    counted_in_flight_ = false;
  }
  response_.reset();
  if (ec) {
    if (ec != net::error::operation_aborted)
      spdlog::debug("connection write failed: {}", ec.message());
    return;
  }
  if (close) return do_close();
  do_read();
}

void HttpConnection::do_close() {
  // Send FIN, then read and discard until the client closes too (or a short
  // deadline), so unread request bytes don't turn our reply into a reset.
  beast::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_send, ec);
  if (ec) {
    socket_.close(ec);
    return;
  }
  waiting_ = Waiting::kDrain;
  arm_timer(kDrainTime);
  do_drain();
}

void HttpConnection::do_drain() {
  socket_.async_read_some(net::buffer(drain_buffer_),
                          beast::bind_front_handler(&HttpConnection::on_drain, shared_from_this()));
}

void HttpConnection::on_drain(beast::error_code ec, std::size_t) {
  if (!ec) return do_drain();
  waiting_ = Waiting::kNothing;
  timer_.cancel();
  socket_.close(ec);
}

void HttpConnection::arm_timer(std::chrono::milliseconds timeout) {
  timed_out_ = false;
  timer_.expires_after(timeout);  // cancels a pending wait
  timer_.async_wait(beast::bind_front_handler(&HttpConnection::on_timer, shared_from_this()));
}

void HttpConnection::on_timer(beast::error_code ec) {
  if (ec == net::error::operation_aborted) return;
  // A wait that completed just before the timer was re-armed or cancelled.
  if (waiting_ == Waiting::kNothing || timer_.expiry() > Clock::now()) return;
  timed_out_ = true;
  beast::error_code ignored;
  // Completes the pending read/write with operation_aborted; the socket stays
  // open so a partial request can still get its 408.
  socket_.cancel(ignored);
  if (waiting_ == Waiting::kDrain) socket_.close(ignored);
}

}  // namespace driftwatch::server
