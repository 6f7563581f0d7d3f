#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <thread>

namespace driftwatch::loadgen::testing {

// A stand-in for infer-server's POST /predict on 127.0.0.1:<ephemeral>:
// 200 {"prediction": ..., "probability": ...} for a body that carries a
// base64 image, 422 for `{}` or non-base64 data, 415 for a non-JSON content
// type. It can pause once, to show what loadgen does with a stalled server.
//
// Thread contract: runs its own io thread; the counters may be read from any thread.
class FakePredictServer {
 public:
  struct Options {
    // When request number stall_at (1-based) arrives, the server stops
    // answering for stall_for; everything that arrives meanwhile waits too.
    std::uint64_t stall_at = 0;  // 0 = never
    std::chrono::milliseconds stall_for{0};
    // Answer with "Connection: close" and close after every response.
    bool close_after_each = false;
  };

  explicit FakePredictServer(Options options);
  FakePredictServer() : FakePredictServer(Options{}) {}
  ~FakePredictServer();

  unsigned short port() const { return port_; }
  std::uint64_t requests() const { return requests_.load(); }
  std::uint64_t ok() const { return ok_.load(); }
  std::uint64_t rejected() const { return rejected_.load(); }

 private:
  class Session;
  void do_accept();

  Options options_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::chrono::steady_clock::time_point paused_until_{};
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> ok_{0};
  std::atomic<std::uint64_t> rejected_{0};
  std::thread thread_;
};

}  // namespace driftwatch::loadgen::testing
