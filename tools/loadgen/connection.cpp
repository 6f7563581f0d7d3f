#include "tools/loadgen/connection.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/version.hpp>

namespace driftwatch::loadgen {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

// Answers are small JSON objects; anything bigger is a misbehaving server.
constexpr std::uint64_t kMaxResponseBytes = 4u << 20;

bool is_closed_by_peer(const beast::error_code& ec) {
  return ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe || ec == http::error::end_of_stream ||
         ec == http::error::partial_message;
}

}  // namespace

Target resolve_target(net::io_context& io, const Url& url) {
  net::ip::tcp::resolver resolver(io);
  beast::error_code ec;
  Target target;
  target.endpoints = resolver.resolve(url.host, url.port, ec);
  if (ec || target.endpoints.empty()) {
    throw std::runtime_error("cannot resolve '" + url.host + "': " + ec.message());
  }
  const bool ipv6_literal = url.host.find(':') != std::string::npos;
  target.host_header = (ipv6_literal ? "[" + url.host + "]" : url.host) + ":" + url.port;
  target.path = url.target;
  return target;
}

Connection::Connection(net::io_context& io, const Target& target, std::chrono::milliseconds timeout)
    : stream_(net::make_strand(io)), target_(target), timeout_(timeout) {
  request_.method(http::verb::post);
  request_.target(target_.path);
  request_.version(11);
  request_.set(http::field::host, target_.host_header);
  request_.set(http::field::user_agent, "driftwatch-loadgen");
  request_.set(http::field::content_type, "application/json");
  if (!target_.authorization.empty())
    request_.set(http::field::authorization, target_.authorization);
  request_.keep_alive(true);
}

void Connection::send(const std::string& body, Handler handler) {
  const Clock::time_point now = Clock::now();
  // Hop onto the strand: the caller may be on another connection's strand.
  net::post(stream_.get_executor(), [self = shared_from_this(), &body, now,
                                     handler = std::move(handler)]() mutable {
    self->handler_ = std::move(handler);
    self->sent_at_ = now;
    self->request_.body() = http::span_body<const char>::value_type(body.data(), body.size());
    self->request_.prepare_payload();
    self->retried_ = false;
    self->start();
  });
}

void Connection::close() {
  net::post(stream_.get_executor(), [self = shared_from_this()] {
    self->closed_ = true;
    self->drop_socket();
  });
}

void Connection::start() {
  if (closed_) return finish(0, TransportError::kCancelled);
  reused_ = connected_;
  if (connected_) return do_write();
  do_connect();
}

void Connection::do_connect() {
  buffer_.clear();
  stream_.expires_after(timeout_);
  // Try each resolved address in turn until one accepts.
  stream_.async_connect(
      target_.endpoints,
      [self = shared_from_this()](beast::error_code ec, const net::ip::tcp::endpoint&) {
        self->on_connect(ec);
      });
}

void Connection::on_connect(beast::error_code ec) {
  if (ec) return fail(ec, true);
  connected_ = true;
  stream_.socket().set_option(net::ip::tcp::no_delay(true), ec);
  do_write();
}

void Connection::do_write() {
  // One deadline covers writing the request and reading the whole answer.
  stream_.expires_after(timeout_);
  http::async_write(stream_, request_,
                    beast::bind_front_handler(&Connection::on_write, shared_from_this()));
}

void Connection::on_write(beast::error_code ec, std::size_t) {
  if (ec) return fail(ec, false);
  // A fresh parser per answer: parsers are single-use, and it carries the limit.
  parser_.emplace();
  parser_->body_limit(kMaxResponseBytes);
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&Connection::on_read, shared_from_this()));
}

void Connection::on_read(beast::error_code ec, std::size_t) {
  if (ec) return fail(ec, false);
  stream_.expires_never();
  auto response = parser_->release();
  const int status = static_cast<int>(response.result_int());
  if (!response.keep_alive()) drop_socket();
  finish(status, std::nullopt, std::move(response.body()));
}

void Connection::fail(beast::error_code ec, bool connecting) {
  drop_socket();
  if (closed_) return finish(0, TransportError::kCancelled);
  if (ec == beast::error::timeout) return finish(0, TransportError::kTimeout);
  if (connecting) return finish(0, TransportError::kConnect);
  if (is_closed_by_peer(ec)) {
    // The server may close an idle keep-alive socket just as we reuse it.
    if (reused_ && !retried_) {
      retried_ = true;
      reused_ = false;
      return do_connect();
    }
    return finish(0, TransportError::kClosed);
  }
  if (ec == net::error::operation_aborted) return finish(0, TransportError::kCancelled);
  finish(0, TransportError::kOther);
}

void Connection::finish(int status, std::optional<TransportError> error, std::string body) {
  Outcome outcome;
  outcome.status = status;
  outcome.body = std::move(body);
  outcome.error = error;
  outcome.sent_at = sent_at_;
  outcome.completed_at = Clock::now();
  Handler handler = std::move(handler_);
  handler_ = nullptr;
  if (handler) handler(outcome);
}

void Connection::drop_socket() {
  beast::error_code ignored;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  stream_.close();
  connected_ = false;
}

}  // namespace driftwatch::loadgen
