// The real drift-exporter binary as a child process, and a small blocking
// HTTP client for scraping it. Used by the end-to-end tests.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

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
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

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

// Starts `binary args...` with stdout on a pipe (the "listening on" line,
// which drift-exporter and infer-server both print) and stderr in
// `log_path`; SIGTERM and reaps it on destruction.
class ExporterProcess {
 public:
  ExporterProcess(const std::string& binary, const std::vector<std::string>& args,
                  const std::string& log_path)
      : log_path_(log_path) {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::dup2(fds[1], STDOUT_FILENO);
      const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (log >= 0) ::dup2(log, STDERR_FILENO);
      ::close(fds[0]);
      ::close(fds[1]);
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>(binary.c_str()));
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(binary.c_str(), argv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    out_ = fds[0];
    port_ = read_port();
    // Keeps reading stdout so that a chatty child never blocks on a full pipe.
    drain_ = std::thread([fd = out_] {
      char buf[4096];
      while (::read(fd, buf, sizeof buf) > 0) {
      }
    });
  }
  ~ExporterProcess() {
    if (pid_ > 0) stop(SIGTERM);
    if (drain_.joinable()) drain_.join();  // EOF once the child is gone
    if (out_ >= 0) ::close(out_);
  }
  ExporterProcess(const ExporterProcess&) = delete;
  ExporterProcess& operator=(const ExporterProcess&) = delete;

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }

  // Sends `signal` and reaps the process; returns its wait status.
  int stop(int signal) {
    if (pid_ <= 0) return exit_status_;
    ::kill(pid_, signal);
    ::waitpid(pid_, &exit_status_, 0);
    pid_ = -1;
    return exit_status_;
  }

  std::string log() const {
    std::ifstream in(log_path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  // VmRSS of the running process in KiB (0 if unknown).
  long rss_kib() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return 0;
  }

 private:
  std::uint16_t read_port() {
    std::string text;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[256];
      const ssize_t n = ::read(out_, buf, sizeof buf);
      if (n <= 0) break;
      text.append(buf, static_cast<std::size_t>(n));
      const auto at = text.find("listening on ");
      const auto eol = at == std::string::npos ? std::string::npos : text.find('\n', at);
      if (eol != std::string::npos) {
        const std::string addr = text.substr(at + 13, eol - at - 13);
        return static_cast<std::uint16_t>(std::stoi(addr.substr(addr.rfind(':') + 1)));
      }
    }
    stop(SIGKILL);
    throw std::runtime_error("drift-exporter printed no 'listening on' line; stdout: " + text +
                             "\nstderr: " + log());
  }

  std::string log_path_;
  pid_t pid_ = -1;
  int out_ = -1;
  int exit_status_ = 0;
  std::uint16_t port_ = 0;
  std::thread drain_;
};

}  // namespace driftwatch::exporter::testing
