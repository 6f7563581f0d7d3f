// A deliberately small blocking HTTP/1.1 client on a raw socket: enough to
// send well-formed requests over keep-alive and also the malformed, partial
// and stalled ones the bad-input tests need.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

namespace dwtest {

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

class HttpClient {
 public:
  explicit HttpClient(int port, const std::string& host = "127.0.0.1");
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  bool reconnect();
  bool send_raw(const std::string& bytes);
  // Reads one response (Content-Length framed). nullopt on timeout, a closed
  // connection before a full response, or garbage.
  std::optional<HttpResponse> read_response(
      std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // True when the server closes the connection within `timeout` (read returns 0
  // or an error), after discarding anything it still sends.
  bool wait_closed(std::chrono::milliseconds timeout);

  // A complete request over the kept-alive connection (reconnecting if needed).
  std::optional<HttpResponse> request(const std::string& method, const std::string& target,
                                      const std::string& body = "",
                                      const std::string& content_type = "application/json",
                                      const std::string& extra_headers = "");

 private:
  int port_;
  std::string host_;
  int fd_ = -1;
  std::string buffer_;
};

}  // namespace dwtest
