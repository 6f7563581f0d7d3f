#include "tools/loadgen/feedback_sender.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "shared/common/json_string.h"

namespace driftwatch::loadgen {

namespace net = boost::asio;

namespace {

constexpr int kAccepted = 202;

// request_id and class_index of a /predict answer; false when either is missing.
bool read_answer(const std::string& body, std::string& request_id, int& predicted_class) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(body).get(root) != simdjson::SUCCESS) return false;
  std::string_view id;
  std::int64_t k = -1;
  if (root["request_id"].get_string().get(id) != simdjson::SUCCESS) return false;
  if (root["class_index"].get_int64().get(k) != simdjson::SUCCESS) return false;
  request_id = std::string(id);
  predicted_class = static_cast<int>(k);
  return true;
}

// "accepted" of a 202 answer, 0 when it is not there.
std::uint64_t accepted_count(const std::string& body) {
  simdjson::dom::parser parser;
  std::uint64_t n = 0;
  if (parser.parse(body)["accepted"].get_uint64().get(n) != simdjson::SUCCESS) return 0;
  return n;
}

void append_label_json(std::string& out, const std::string& request_id, int true_class) {
  out += "{\"request_id\":";
  common::append_json_string(out, request_id);
  out += ",\"class_index\":" + std::to_string(true_class) + ",\"source\":\"random\"}";
}

}  // namespace

FeedbackSender::FeedbackSender(net::io_context& io, const Target& target,
                               const PayloadSource& payloads, double share,
                               std::chrono::milliseconds delay, std::chrono::milliseconds timeout,
                               const std::string& log_path)
    : target_(target),
      payloads_(payloads),
      share_(share),
      delay_(delay),
      connection_(std::make_shared<Connection>(io, target_, timeout)),
      timer_(io) {
  if (!log_path.empty()) {
    log_.open(log_path, std::ios::trunc);
    if (!log_) throw std::runtime_error(log_path + ": cannot create the feedback log");
    log_ << "request_id\ttrue_class\tpredicted_class\tstatus\n";
  }
}

void FeedbackSender::on_answer(std::uint64_t index, const Connection::Outcome& outcome) {
  const int true_class = payloads_.true_class(index);
  if (outcome.status != 200 || true_class < 0) return;
  Label label{outcome.completed_at + delay_, {}, true_class, -1};
  if (!read_answer(outcome.body, label.request_id, label.predicted_class)) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopped_) return;
  // Candidate k is picked when floor((k+1)*F) > floor(k*F): exact in every prefix.
  const auto k = static_cast<double>(candidates_++);
  if (std::floor((k + 1) * share_) <= std::floor(k * share_)) return;
  ++totals_.picked;
  queue_.push_back(std::move(label));
  arm_timer_locked();
}

void FeedbackSender::drain(std::function<void()> done) {
  std::function<void()> run_now;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    draining_ = true;
    done_ = std::move(done);
    run_now = take_done_locked();
  }
  if (run_now) run_now();
}

void FeedbackSender::stop() {
  std::function<void()> run_now;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopped_ = true;
    totals_.unsent += queue_.size();
    queue_.clear();
    timer_.cancel();
    connection_->close();
    run_now = take_done_locked();
  }
  if (run_now) run_now();
}

FeedbackTotals FeedbackSender::totals() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return totals_;
}

void FeedbackSender::arm_timer_locked() {
  // One request at a time: the answer's handler sends whatever came due meanwhile.
  if (timer_armed_ || !in_flight_.empty() || queue_.empty()) return;
  timer_armed_ = true;
  timer_.expires_at(queue_.front().due);
  timer_.async_wait([this](const boost::system::error_code& ec) { on_timer(ec); });
}

void FeedbackSender::on_timer(const boost::system::error_code& ec) {
  std::lock_guard<std::mutex> lock(mutex_);
  timer_armed_ = false;
  if (ec == net::error::operation_aborted || stopped_) return;
  send_due_locked(Clock::now());
  arm_timer_locked();
}

void FeedbackSender::send_due_locked(Clock::time_point now) {
  if (!in_flight_.empty()) return;
  while (!queue_.empty() && queue_.front().due <= now && in_flight_.size() < kMaxBatch) {
    in_flight_.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  if (in_flight_.empty()) return;
  body_.clear();
  if (in_flight_.size() > 1) body_ += '[';
  for (std::size_t i = 0; i < in_flight_.size(); ++i) {
    if (i > 0) body_ += ',';
    append_label_json(body_, in_flight_[i].request_id, in_flight_[i].true_class);
  }
  if (in_flight_.size() > 1) body_ += ']';
  totals_.sent += in_flight_.size();
  ++totals_.requests;
  connection_->send(body_, [this](const Connection::Outcome& outcome) { on_sent(outcome); });
}

void FeedbackSender::on_sent(const Connection::Outcome& outcome) {
  std::function<void()> run_now;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::uint64_t n = in_flight_.size();
    const std::uint64_t accepted =
        outcome.status == kAccepted ? std::min(n, accepted_count(outcome.body)) : 0;
    totals_.accepted += accepted;
    totals_.failed += n - accepted;
    if (log_.is_open()) {
      for (const Label& l : in_flight_) {
        log_ << l.request_id << '\t' << l.true_class << '\t' << l.predicted_class << '\t'
             << outcome.status << '\n';
      }
      log_.flush();
    }
    in_flight_.clear();
    if (!stopped_) {
      send_due_locked(Clock::now());
      arm_timer_locked();
    }
    run_now = take_done_locked();
  }
  if (run_now) run_now();
}

std::function<void()> FeedbackSender::take_done_locked() {
  if (!draining_ || !in_flight_.empty() || (!stopped_ && !queue_.empty())) return {};
  connection_->close();
  std::function<void()> done = std::move(done_);
  done_ = nullptr;
  return done;
}

}  // namespace driftwatch::loadgen
