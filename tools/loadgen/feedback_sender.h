#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tools/loadgen/connection.h"
#include "tools/loadgen/feedback_totals.h"
#include "tools/loadgen/payload_source.h"
#include "tools/loadgen/schedule.h"

namespace driftwatch::loadgen {

// Sends ground-truth labels for answered predictions to POST /feedback, the
// way a labelling team that samples traffic at random would (source
// "random"): of the 200 answers whose image has a true class (IDX payloads),
// a share F is picked, exactly floor(n*F) of any first n (the rule of
// --error-share), and the true class of each goes out `delay` after its
// answer arrived. Labels that are due together go as one JSON array (at most
// 1000, the server's limit), over one keep-alive connection, one request at a
// time.
//
// With a log path, each label sent becomes one tab-separated line:
// request_id, true class, predicted class (from the answer), and the HTTP
// status of the request that carried it (202: accepted).
//
// Thread contract: all methods may be called from any thread; one mutex
// guards the queue and the counters.
class FeedbackSender {
 public:
  static constexpr std::size_t kMaxBatch = 1000;

  // `target`: where labels go (the server's /feedback). Throws
  // std::runtime_error when the log cannot be created.
  FeedbackSender(boost::asio::io_context& io, const Target& target, const PayloadSource& payloads,
                 double share, std::chrono::milliseconds delay, std::chrono::milliseconds timeout,
                 const std::string& log_path);

  // A prediction's answer (AnswerObserver): picks it or not.
  void on_answer(std::uint64_t index, const Connection::Outcome& outcome);
  // The load is over: sends what is still queued (each label at its time),
  // then runs `done` once, on an io thread or here.
  void drain(std::function<void()> done);
  // Ctrl-C: nothing more is sent; the queue counts as unsent. `done` (from
  // drain) still runs once the request in flight is back.
  void stop();

  FeedbackTotals totals() const;

 private:
  struct Label {
    Clock::time_point due;
    std::string request_id;
    int true_class;
    int predicted_class;
  };

  void arm_timer_locked();
  void on_timer(const boost::system::error_code& ec);
  void send_due_locked(Clock::time_point now);
  void on_sent(const Connection::Outcome& outcome);
  // Returns `done` when the drain is complete (the caller runs it unlocked).
  std::function<void()> take_done_locked();

  const Target& target_;
  const PayloadSource& payloads_;
  const double share_;
  const std::chrono::milliseconds delay_;
  std::shared_ptr<Connection> connection_;
  std::ofstream log_;

  mutable std::mutex mutex_;
  boost::asio::steady_timer timer_;
  bool timer_armed_ = false;
  std::deque<Label> queue_;
  std::vector<Label> in_flight_;
  std::string body_;              // the request in flight's body (Connection sends it by reference)
  std::uint64_t candidates_ = 0;  // answers with a true class and a request_id
  bool draining_ = false;
  bool stopped_ = false;
  std::function<void()> done_;
  FeedbackTotals totals_;
};

}  // namespace driftwatch::loadgen
