// One HTTP/1.1 connection (keep-alive), in the style of Beast's
// http_server_async example: the pending operation holds the object alive
// through shared_from_this; each do_ step has its on_ completion.
//
// Limits are set where each read starts: a fresh parser with the header and
// body limits, and a deadline timer. A partial request past the deadline gets
// 408, a body over the limit 413, a header over the limit 431, malformed HTTP
// 400; each of these closes the connection. Every reply written, these
// included, produces exactly one ring record.
//
// Thread contract: all member functions run on the connection's strand.
#pragma once

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <memory>
#include <optional>

#include "server/http_context.h"

namespace driftwatch::server {

class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  HttpConnection(boost::asio::ip::tcp::socket&& socket, HttpContext& context);
  ~HttpConnection();

  // Serve requests until the peer closes, an error, or shutdown.
  void run();
  // Over the connection limit: answer 503 without reading, then close.
  void reject();

 private:
  using Clock = std::chrono::steady_clock;

  void do_read();
  void on_read_header(boost::beast::error_code ec, std::size_t bytes);
  void on_read_body(boost::beast::error_code ec, std::size_t bytes);
  void on_read_error(boost::beast::error_code ec);
  // Method, route and HEAD-ness from the parsed request line.
  void note_request_line();
  void dispatch_request();
  void on_reply(Reply&& reply);
  void do_write(Reply&& reply);
  void on_write(bool close, boost::beast::error_code ec, std::size_t bytes);
  void do_close();
  void do_drain();
  void on_drain(boost::beast::error_code ec, std::size_t bytes);

  void arm_timer(std::chrono::milliseconds timeout);
  void on_timer(boost::beast::error_code ec);

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer timer_;
  boost::beast::flat_buffer buffer_;
  HttpContext& ctx_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::shared_ptr<boost::beast::http::response<boost::beast::http::string_body>> response_;

  // The request being served.
  ring::Method method_ = ring::Method::kOther;
  ring::Handler handler_ = ring::Handler::kNone;
  bool head_ = false;
  bool keep_alive_ = false;
  std::uint32_t body_bytes_ = 0;
  std::uint64_t request_id_ = 0;
  Clock::time_point started_{};  // header complete, or read start for read errors
  bool counted_in_flight_ = false;

  // Which operation the deadline guards; the timer cancels the socket.
  enum class Waiting { kNothing, kRead, kWrite, kDrain };
  Waiting waiting_ = Waiting::kNothing;
  bool timed_out_ = false;
  std::array<char, 4096> drain_buffer_{};
};

}  // namespace driftwatch::server
