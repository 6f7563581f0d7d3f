#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/span_body.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "tools/loadgen/run_stats.h"
#include "tools/loadgen/schedule.h"
#include "tools/loadgen/url.h"

namespace driftwatch::loadgen {

// Where every request goes; resolved once before the run starts.
struct Target {
  std::string host_header;    // "host:port", sent as Host
  std::string path;           // request target, e.g. "/predict"
  std::string authorization;  // sent as the Authorization header when not empty
  boost::asio::ip::tcp::resolver::results_type endpoints;
};

// Resolves the URL's host once, before the run (a DNS lookup per connection
// would only add noise). Throws std::runtime_error with a one-line reason.
Target resolve_target(boost::asio::io_context& io, const Url& url);

// One keep-alive HTTP/1.1 connection that carries one POST at a time. It
// connects lazily, reconnects after the server closes, and retries a request
// once when a reused connection turns out to have been closed by the server
// while idle (a stale keep-alive connection is not the server's failure).
//
// Thread contract: send() and close() may be called from any thread, but
// send() only when the previous request's handler has run. All socket work
// and the handler run on the connection's own strand; the handler runs
// exactly once per send().
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  struct Outcome {
    int status = 0;                       // HTTP status; 0 when there is no answer
    std::string body;                     // the answer's body
    std::optional<TransportError> error;  // set when there is no answer
    Clock::time_point sent_at;            // when this request was handed to send()
    Clock::time_point completed_at;
  };
  using Handler = std::function<void(const Outcome&)>;

  Connection(boost::asio::io_context& io, const Target& target, std::chrono::milliseconds timeout);

  // `body` must outlive the request (PayloadSource owns all bodies).
  void send(const std::string& body, Handler handler);
  // Aborts any request in flight (its handler sees kCancelled) and refuses
  // to reconnect.
  void close();

 private:
  void start();
  void do_connect();
  void on_connect(boost::beast::error_code ec);
  void do_write();
  void on_write(boost::beast::error_code ec, std::size_t bytes);
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  void fail(boost::beast::error_code ec, bool connecting);
  void finish(int status, std::optional<TransportError> error, std::string body = {});
  void drop_socket();

  boost::beast::tcp_stream stream_;
  const Target& target_;
  const std::chrono::milliseconds timeout_;
  boost::beast::flat_buffer buffer_;
  boost::beast::http::request<boost::beast::http::span_body<const char>> request_;
  std::optional<boost::beast::http::response_parser<boost::beast::http::string_body>> parser_;
  Handler handler_;
  Clock::time_point sent_at_;
  bool connected_ = false;
  bool reused_ = false;   // the current request went out on an already used socket
  bool retried_ = false;  // the current request was already retried once
  bool closed_ = false;
};

}  // namespace driftwatch::loadgen
