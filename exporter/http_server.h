// HttpServer: stage 4 of the exporter pipeline, the exporter's own HTTP
// listener (Boost.Beast, asynchronous, in the shape of Beast's
// http_server_async example): a Listener that only accepts, and one Session
// per connection that owns its stream, buffer, parser and response. Each
// pending operation holds the session alive through shared_from_this.
//
// Routes are not known here: every parsed request goes to the RequestHandler
// (ExporterRoutes), which never sees a socket. Limits are set where each read
// starts: a deadline per request and a fresh parser with a body limit.
//
// Accepting is the shared net::AcceptLoop (shared/net/): a failed accept
// (EMFILE when the process is out of file descriptors, say) does not spin: the
// next accept waits, 10 ms doubling to 1 s while failures go on, and the
// warning is logged at most once per 10 s with the count.
//
// Thread contract: construct, start() and stop() on the thread that runs the
// io_context (or before it runs); handlers run on the io_context's threads.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace driftwatch::net {
class AcceptLoop;
}

namespace driftwatch::exporter {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;
using RequestHandler = std::function<HttpResponse(const HttpRequest&)>;

class HttpServer {
 public:
  struct Options {
    std::string address = "127.0.0.1";
    std::uint16_t port = 9400;  // 0: any free port (see local_endpoint())
    // A client must send a whole request within this time.
    std::chrono::milliseconds read_timeout{30000};
    std::size_t body_limit = 64 * 1024;  // only GETs are served
    std::size_t header_limit = 16 * 1024;
    // Called (on the accept strand) for every failed accept, e.g. to count
    // it; the accept loop itself backs off and rate-limits its log line.
    std::function<void()> on_accept_error;
  };

  // Opens, binds and listens. Throws std::runtime_error naming the address
  // when that fails (port in use, bad address).
  HttpServer(boost::asio::io_context& ioc, Options options, RequestHandler handler);
  ~HttpServer();

  // The bound address, with the real port when Options::port was 0.
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  // Starts accepting connections.
  void start();
  // Stops accepting; open sessions end with their next read.
  void stop();

 private:
  const Options options_;
  const std::shared_ptr<const RequestHandler> handler_;
  std::shared_ptr<net::AcceptLoop> accept_loop_;
};

}  // namespace driftwatch::exporter
