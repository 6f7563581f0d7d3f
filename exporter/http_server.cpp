#include "exporter/http_server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <stdexcept>
#include <utility>

namespace driftwatch::exporter {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// One connection: read a request, answer it, repeat until the client closes
// or asks to close.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, const HttpServer::Options& options,
          std::shared_ptr<const RequestHandler> handler)
      : stream_(std::move(socket)), options_(options), handler_(std::move(handler)) {}

  // Starts on the session's strand, as the example does.
  void run() {
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&Session::do_read, shared_from_this()));
  }

 private:
  // Reads the next request with a fresh parser (limits apply per message).
  void do_read() {
    parser_.emplace();
    parser_->body_limit(options_.body_limit);
    parser_->header_limit(static_cast<std::uint32_t>(options_.header_limit));
    stream_.expires_after(options_.read_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec == http::error::end_of_stream) return do_close();
    if (ec == http::error::body_limit || ec == http::error::header_limit) {
      return send(error_response(http::status::payload_too_large, "request too large"), true);
    }
    if (ec == beast::error::timeout) return;  // the stream is already closed
    if (ec) {
      if (ec != asio::error::operation_aborted) spdlog::debug("http read: {}", ec.message());
      return;
    }
    HttpRequest request = parser_->release();
    HttpResponse response;
    try {
      response = (*handler_)(request);
    } catch (const std::exception& e) {
      // An exception never escapes a request handler.
      spdlog::error("http {} {}: {}", std::string(request.method_string()),
                    std::string(request.target()), e.what());
      response = error_response(http::status::internal_server_error, "internal error");
    }
    response.version(request.version());
    response.keep_alive(request.keep_alive());
    send(std::move(response), false);
  }

  HttpResponse error_response(http::status status, const std::string& detail) const {
    HttpResponse res{status, 11};
    res.set(http::field::content_type, "text/plain");
    res.body() = detail + "\n";
    return res;
  }

  // Writes the response; the session stays alive until the write completes.
  void send(HttpResponse&& response, bool close) {
    response.set(http::field::server, "drift-exporter");
    if (close) response.keep_alive(false);
    response.prepare_payload();
    response_ = std::make_shared<HttpResponse>(std::move(response));
    http::async_write(
        stream_, *response_,
        beast::bind_front_handler(&Session::on_write, shared_from_this(), response_->need_eof()));
  }

  void on_write(bool close, beast::error_code ec, std::size_t /*bytes*/) {
    if (ec) {
      if (ec != asio::error::operation_aborted) spdlog::debug("http write: {}", ec.message());
      return;
    }
    response_.reset();
    if (close) return do_close();
    do_read();
  }

  void do_close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  const HttpServer::Options options_;
  std::shared_ptr<const RequestHandler> handler_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<HttpResponse> response_;
};

// Accepts connections and hands each to a new Session; keeps accepting
// after an accept error (unlike the example, which stops), after a back-off.
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(asio::io_context& ioc, HttpServer::Options options, RequestHandler handler)
      : ioc_(ioc),
        acceptor_(asio::make_strand(ioc)),
        retry_timer_(acceptor_.get_executor()),
        options_(std::move(options)),
        handler_(std::make_shared<const RequestHandler>(std::move(handler))) {
    beast::error_code ec;
    const auto address = asio::ip::make_address(options_.address, ec);
    if (ec)
      throw std::runtime_error("bad listen address '" + options_.address + "': " + ec.message());
    const tcp::endpoint endpoint{address, options_.port};
    const auto fail = [&](const char* what) {
      throw std::runtime_error(std::string("cannot ") + what + " " + options_.address + ":" +
                               std::to_string(options_.port) + ": " + ec.message());
    };
    acceptor_.open(endpoint.protocol(), ec);
    if (ec) fail("open");
    acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (ec) fail("set SO_REUSEADDR on");
    acceptor_.bind(endpoint, ec);
    if (ec) fail("bind");
    acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) fail("listen on");
  }

  tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

  void run() {
    asio::dispatch(acceptor_.get_executor(),
                   beast::bind_front_handler(&Listener::do_accept, shared_from_this()));
  }

  void stop() {
    asio::dispatch(acceptor_.get_executor(), [self = shared_from_this()] {
      beast::error_code ec;
      self->retry_timer_.cancel();
      self->acceptor_.close(ec);
    });
  }

 private:
  // Each connection gets its own strand.
  void do_accept() {
    acceptor_.async_accept(asio::make_strand(ioc_),
                           beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
  }

  void on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;  // stopped
    if (!ec) {
      backoff_ = std::chrono::milliseconds(0);
      std::make_shared<Session>(std::move(socket), options_, handler_)->run();
      return do_accept();
    }
    if (options_.on_accept_error) options_.on_accept_error();
    log_accept_error(ec);
    backoff_ = std::clamp(backoff_ * 2, kFirstBackoff, kMaxBackoff);
    retry_timer_.expires_after(backoff_);
    retry_timer_.async_wait([self = shared_from_this()](beast::error_code tec) {
      if (!tec && self->acceptor_.is_open()) self->do_accept();
    });
  }

  // One warning per kLogInterval at most, with how many were not logged.
  void log_accept_error(const beast::error_code& ec) {
    const auto now = std::chrono::steady_clock::now();
    if (logged_once_ && now - last_log_ < kLogInterval) {
      ++unlogged_;
      return;
    }
    if (unlogged_ > 0) {
      spdlog::warn("http accept: {} (and {} more failed accepts in the last {} s; backing off)",
                   ec.message(), unlogged_,
                   std::chrono::duration_cast<std::chrono::seconds>(now - last_log_).count());
    } else {
      spdlog::warn("http accept: {} (backing off)", ec.message());
    }
    logged_once_ = true;
    last_log_ = now;
    unlogged_ = 0;
  }

  static constexpr std::chrono::milliseconds kFirstBackoff{10};
  static constexpr std::chrono::milliseconds kMaxBackoff{1000};
  static constexpr std::chrono::seconds kLogInterval{10};

  asio::io_context& ioc_;
  tcp::acceptor acceptor_;
  asio::steady_timer retry_timer_;
  const HttpServer::Options options_;
  std::shared_ptr<const RequestHandler> handler_;
  // Accept strand only.
  std::chrono::milliseconds backoff_{0};
  bool logged_once_ = false;
  std::chrono::steady_clock::time_point last_log_{};
  std::uint64_t unlogged_ = 0;
};

HttpServer::HttpServer(asio::io_context& ioc, Options options, RequestHandler handler)
    : listener_(std::make_shared<Listener>(ioc, std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() = default;

tcp::endpoint HttpServer::local_endpoint() const { return listener_->local_endpoint(); }

void HttpServer::start() { listener_->run(); }

void HttpServer::stop() { listener_->stop(); }

}  // namespace driftwatch::exporter
