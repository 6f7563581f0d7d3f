#include "tests/server/support/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace dwtest {

HttpClient::HttpClient(int port, const std::string& host) : port_(port), host_(host) {
  reconnect();
}

HttpClient::~HttpClient() {
  if (fd_ >= 0) ::close(fd_);
}

bool HttpClient::reconnect() {
  if (fd_ >= 0) ::close(fd_);
  buffer_.clear();
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port_));
  ::inet_pton(AF_INET, host_.c_str(), &addr.sin_addr);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    fd_ = -1;
    return false;
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return true;
}

bool HttpClient::send_raw(const std::string& bytes) {
  if (fd_ < 0) return false;
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

std::optional<HttpResponse> HttpClient::read_response(std::chrono::milliseconds timeout) {
  if (fd_ < 0) return std::nullopt;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  HttpResponse r;
  std::size_t header_end = std::string::npos;
  std::size_t need = std::string::npos;  // total bytes of the response
  for (;;) {
    if (header_end == std::string::npos) {
      header_end = buffer_.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        const std::string head = buffer_.substr(0, header_end);
        if (head.compare(0, 5, "HTTP/") != 0 || head.size() < 12) return std::nullopt;
        r.status = std::atoi(head.c_str() + 9);
        std::size_t pos = head.find("\r\n");
        while (pos != std::string::npos && pos < head.size()) {
          const std::size_t next = head.find("\r\n", pos + 2);
          const std::string line =
              head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
          const auto colon = line.find(':');
          if (colon != std::string::npos) {
            std::string name = line.substr(0, colon);
            std::transform(name.begin(), name.end(), name.begin(),
                           [](unsigned char c) { return std::tolower(c); });
            std::string value = line.substr(colon + 1);
            while (!value.empty() && value.front() == ' ') value.erase(0, 1);
            r.headers[name] = value;
          }
          pos = next;
        }
        const std::size_t length =
            r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
        // 1xx interim responses carry no body; skip them.
        if (r.status >= 100 && r.status < 200) {
          buffer_.erase(0, header_end + 4);
          header_end = std::string::npos;
          r = HttpResponse{};
          continue;
        }
        need = header_end + 4 + length;
      }
    }
    if (need != std::string::npos && buffer_.size() >= need) {
      r.body = buffer_.substr(header_end + 4, need - header_end - 4);
      buffer_.erase(0, need);
      return r;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
    char chunk[65536];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return std::nullopt;
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
}

bool HttpClient::wait_closed(std::chrono::milliseconds timeout) {
  if (fd_ < 0) return true;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char chunk[4096];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return true;
  }
}

std::optional<HttpResponse> HttpClient::request(const std::string& method,
                                                const std::string& target, const std::string& body,
                                                const std::string& content_type,
                                                const std::string& extra_headers) {
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: " + host_ + "\r\n";
  if (!content_type.empty()) req += "Content-Type: " + content_type + "\r\n";
  if (!body.empty() || method == "POST")
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += extra_headers + "\r\n" + body;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (fd_ < 0 && !reconnect()) return std::nullopt;
    if (send_raw(req)) {
      auto r = read_response();
      if (r) {
        if (r->header("connection") == "close") reconnect();
        return r;
      }
    }
    reconnect();  // the server closed an idle kept-alive connection: retry once
  }
  return std::nullopt;
}

}  // namespace dwtest
