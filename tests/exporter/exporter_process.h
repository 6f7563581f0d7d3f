// The real drift-exporter binary as a child process, and a small blocking
// HTTP client for scraping it. Used by the end-to-end tests.
#pragma once

#include <signal.h>
#include <sys/wait.h>

// GCC 12 with -O2 and sanitizers reports a false -Wmaybe-uninitialized
// inside Beast's parser (boost::optional content length); the state is kept
// by source location, so this covers only Boost's lines.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#pragma GCC diagnostic pop
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/support/child_process.h"

#if defined(__SANITIZE_THREAD__)
#include <gtest/gtest.h>
#endif

namespace driftwatch::exporter::testing {

struct HttpResult {
  int status = 0;
  std::string content_type;
  std::string body;
};

// One request on a fresh connection. A body makes it a POST of `content_type`.
inline HttpResult http_request(std::uint16_t port, const std::string& target,
                               const std::string* body = nullptr,
                               const std::string& content_type = "application/json") {
  namespace beast = boost::beast;
  namespace http = beast::http;
  boost::asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.expires_after(std::chrono::seconds(30));
  stream.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  http::request<http::string_body> req{body ? http::verb::post : http::verb::get, target, 11};
  req.set(http::field::host, "127.0.0.1");
  if (body != nullptr) {
    req.set(http::field::content_type, content_type);
    req.body() = *body;
  }
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  beast::error_code ec;
  stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
  return {static_cast<int>(res.result_int()), std::string(res[http::field::content_type]),
          res.body()};
}

inline HttpResult http_get(std::uint16_t port, const std::string& target) {
  return http_request(port, target);
}

// Starts `binary args...` (dwtest::ChildProcess: stdout read for the
// "listening on" line, which drift-exporter and infer-server both print;
// stderr in `log_path`); throws when no such line comes. SIGTERM and reaps
// it on destruction; under ThreadSanitizer, a test fails when the exporter
// did not then exit 0 (a report makes it exit 66: halt_on_error in the tsan
// test preset).
class ExporterProcess {
 public:
  ExporterProcess(const std::string& binary, const std::vector<std::string>& args,
                  const std::string& log_path)
      : child_(binary, args, log_path) {
    if (!child_.spawned()) throw std::runtime_error("cannot start " + binary);
    const int port = child_.wait_for_port(std::chrono::seconds(20));
    if (port <= 0) {
      stop(SIGKILL);
      throw std::runtime_error("drift-exporter printed no 'listening on' line; stdout: " +
                               child_.stdout_text() + "\nstderr: " + log());
    }
    port_ = static_cast<std::uint16_t>(port);
  }
  ~ExporterProcess() {
    if (child_.pid() <= 0) return;
    [[maybe_unused]] const int status = stop(SIGTERM);
#if defined(__SANITIZE_THREAD__)
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      ADD_FAILURE() << "drift-exporter did not exit 0 on SIGTERM (wait status " << status
                    << "); its stderr:\n"
                    << log();
#endif
  }
  ExporterProcess(const ExporterProcess&) = delete;
  ExporterProcess& operator=(const ExporterProcess&) = delete;

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return child_.pid(); }

  // Sends `signal` and reaps the process; returns its wait status.
  int stop(int signal) { return child_.stop(signal, std::chrono::minutes(5)).value_or(-1); }

  std::string log() const { return child_.log(); }

  // VmRSS of the running process in KiB (0 if unknown).
  long rss_kib() const { return child_.rss_kib(); }

 private:
  dwtest::ChildProcess child_;
  std::uint16_t port_ = 0;
};

}  // namespace driftwatch::exporter::testing
