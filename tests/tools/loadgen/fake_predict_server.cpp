#include "tests/tools/loadgen/fake_predict_server.h"

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <memory>

namespace driftwatch::loadgen::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

bool is_base64_image_body(const std::string& body) {
  const std::string prefix = "{\"image\": \"";
  const std::string suffix = "\"}";
  if (body.size() <= prefix.size() + suffix.size() || body.rfind(prefix, 0) != 0 ||
      body.compare(body.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return false;
  }
  const std::string data = body.substr(prefix.size(), body.size() - prefix.size() - suffix.size());
  return data.size() % 4 == 0 && std::all_of(data.begin(), data.end(), [](unsigned char c) {
           return std::isalnum(c) || c == '+' || c == '/' || c == '=';
         });
}

}  // namespace

// One accepted connection: read a request, maybe wait out a stall, answer, repeat.
class FakePredictServer::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(FakePredictServer& server, tcp::socket socket)
      : server_(server), stream_(std::move(socket)), timer_(server.io_) {}

  void do_read() {
    request_ = {};
    http::async_read(stream_, buffer_, request_,
                     beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

 private:
  void on_read(beast::error_code ec, std::size_t) {
    if (ec) return;  // client closed or sent garbage: drop the connection
    const std::uint64_t n = ++server_.requests_;
    const auto now = std::chrono::steady_clock::now();
    if (n == server_.options_.stall_at) server_.paused_until_ = now + server_.options_.stall_for;
    if (server_.paused_until_ > now) {
      timer_.expires_at(server_.paused_until_);
      timer_.async_wait([self = shared_from_this()](beast::error_code) { self->respond(); });
      return;
    }
    respond();
  }

  void respond() {
    response_ = {};
    response_.version(11);
    response_.set(http::field::content_type, "application/json");
    const bool json = request_[http::field::content_type] == "application/json";
    if (request_.method() != http::verb::post || request_.target() != "/predict") {
      response_.result(http::status::not_found);
      response_.body() = R"({"error": "not_found", "detail": "no such route"})";
      ++server_.rejected_;
    } else if (!json) {
      response_.result(http::status::unsupported_media_type);
      response_.body() = R"({"error": "content_type", "detail": "want application/json"})";
      ++server_.rejected_;
    } else if (!is_base64_image_body(request_.body())) {
      response_.result(http::status::unprocessable_entity);
      response_.body() = R"({"error": "bad_image", "detail": "no decodable image"})";
      ++server_.rejected_;
    } else {
      response_.result(http::status::ok);
      response_.body() = R"({"prediction": "Sneaker", "probability": 0.93})";
      ++server_.ok_;
    }
    response_.keep_alive(request_.keep_alive() && !server_.options_.close_after_each);
    response_.prepare_payload();
    http::async_write(stream_, response_,
                      beast::bind_front_handler(&Session::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    if (ec) return;
    if (!response_.keep_alive()) {
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
      return;
    }
    do_read();
  }

  FakePredictServer& server_;
  beast::tcp_stream stream_;
  net::steady_timer timer_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
};

FakePredictServer::FakePredictServer(Options options)
    : options_(options), acceptor_(io_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)) {
  port_ = acceptor_.local_endpoint().port();
  do_accept();
  thread_ = std::thread([this] { io_.run(); });
}

FakePredictServer::~FakePredictServer() {
  io_.stop();
  thread_.join();
}

void FakePredictServer::do_accept() {
  acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (!ec) std::make_shared<Session>(*this, std::move(socket))->do_read();
    do_accept();
  });
}

}  // namespace driftwatch::loadgen::testing
