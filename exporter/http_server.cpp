#include "exporter/http_server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/dispatch.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <stdexcept>
#include <utility>

#include "shared/net/accept_loop.h"

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

HttpServer::HttpServer(asio::io_context& ioc, Options options, RequestHandler handler)
    : options_(std::move(options)),
      handler_(std::make_shared<const RequestHandler>(std::move(handler))),
      accept_loop_(std::make_shared<net::AcceptLoop>(
          ioc, net::listen_endpoint(options_.address, options_.port),
          // Copies, not `this`: a late accept never reaches a destroyed server.
          [options = options_, handler = handler_](tcp::socket&& socket) {
            std::make_shared<Session>(std::move(socket), options, handler)->run();
          },
          options_.on_accept_error)) {}

HttpServer::~HttpServer() = default;

tcp::endpoint HttpServer::local_endpoint() const { return accept_loop_->local_endpoint(); }

void HttpServer::start() { accept_loop_->start(); }

void HttpServer::stop() { accept_loop_->stop(); }

}  // namespace driftwatch::exporter
