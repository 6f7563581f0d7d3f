#include "exporter/fleet/jetstream_source.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "exporter/fleet/nats_link.h"

namespace driftwatch::fleet {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kNotJetStream = 5;  // the reject reason after the DecodeStatus ones
static_assert(static_cast<std::size_t>(DecodeStatus::kSizeMismatch) + 1 == kNotJetStream);

// Consecutive failures after which the subscription is made anew (the
// consumer may have been deleted) or an acknowledgement is given up.
constexpr int kMaxConsecutiveFetchErrors = 3;
constexpr int kMaxAckAttempts = 5;
// A fetch of a durable consumer that was deleted just times out, like one
// with nothing new: while fetches come back empty, ask at most this often
// whether the consumer still exists.
constexpr std::chrono::seconds kConsumerCheckInterval{2};

}  // namespace

const char* reject_reason_name(std::size_t reason) {
  if (reason == kNotJetStream) return "not_jetstream";
  if (reason < kNotJetStream) return decode_status_name(static_cast<DecodeStatus>(reason));
  return "unknown";
}

struct JetStreamSource::Impl {
  explicit Impl(SourceOptions o) : options(std::move(o)) {}
  ~Impl() {
    if (to_ack != nullptr) natsMsg_Destroy(to_ack);
    if (sub != nullptr) natsSubscription_Destroy(sub);  // keeps the durable consumer
  }

  void warn(const std::string& what) {
    const auto now = Clock::now();
    if (now - last_warning >= std::chrono::seconds(10)) {
      spdlog::warn("fleet source {}: {}", options.url, what);
      last_warning = now;
    }
  }
  void idle() {
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::min<std::int64_t>(options.fetch_timeout_ms, 50)));
  }
  static void add(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) {
    c.fetch_add(n, std::memory_order_relaxed);
  }

  bool ensure_subscribed();
  bool acknowledge();
  // Destroys the subscription and, first, the unacknowledged message it
  // delivered: a cnats message points at its subscription without holding
  // it, so acknowledging it later would touch freed memory. What it would
  // have acknowledged is delivered again and skipped as redelivered.
  void drop_subscription();
  // After an empty fetch: whether the durable consumer is gone (asked at most
  // every kConsumerCheckInterval).
  bool consumer_deleted();
  std::size_t poll(std::vector<SourceRecord>& out, std::size_t max);

  SourceOptions options;
  std::unique_ptr<NatsLink> link;
  natsSubscription* sub = nullptr;
  natsMsg* to_ack = nullptr;  // the last message of the previous batch
  std::uint64_t to_ack_consumer_seq = 0;
  int ack_attempts = 0;
  int fetch_errors_in_a_row = 0;
  bool stream_ready = false;
  Clock::time_point next_subscribe_try{};
  Clock::time_point next_consumer_check{};
  Clock::time_point last_warning = Clock::now() - std::chrono::hours(1);
  bool have_position = false;

  // Read by stats() on other threads: relaxed, they are metrics.
  std::atomic<std::uint64_t> last_seq{0};
  std::atomic<std::uint64_t> records{0};
  std::atomic<std::uint64_t> gap_records{0};
  std::atomic<std::uint64_t> redelivered{0};
  std::array<std::atomic<std::uint64_t>, kRejectReasons> rejected{};
  std::atomic<std::uint64_t> fetch_errors{0};
  std::atomic<std::uint64_t> ack_errors{0};
  std::atomic<std::uint64_t> pending{0};
  std::atomic<bool> subscribed{false};
};

bool JetStreamSource::Impl::ensure_subscribed() {
  if (sub != nullptr) return true;
  if (!link->connected() || Clock::now() < next_subscribe_try) return false;
  next_subscribe_try = Clock::now() + std::chrono::milliseconds(500);
  std::string error;
  if (!stream_ready && !(stream_ready = link->ensure_stream(options.stream, error))) {
    warn(error);
    return false;
  }
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = options.stream.name.c_str();
  so.Config.Durable = options.durable.c_str();
  so.Config.DeliverPolicy = js_DeliverAll;
  so.Config.AckPolicy = js_AckAll;
  so.Config.AckWait = options.ack_wait_ms * 1'000'000;
  so.Config.MaxAckPending = options.max_ack_pending;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  const natsStatus s = js_PullSubscribe(&sub, link->js(), options.subject.c_str(),
                                        options.durable.c_str(), nullptr, &so, &jerr);
  if (s != NATS_OK) {
    sub = nullptr;
    stream_ready = false;
    warn("pull subscription " + options.durable + " on " + options.subject + ": " + nats_error(s) +
         " " + nats_GetLastError(nullptr));
    return false;
  }
  // Resume after what the durable consumer acknowledged before (a restart).
  jsConsumerInfo* ci = nullptr;
  // (natsSubscription_GetConsumerInfo answers "invalid subscription" for a
  // subscription bound to an existing durable; ask by name.)
  if (!have_position &&
      js_GetConsumerInfo(&ci, link->js(), options.stream.name.c_str(), options.durable.c_str(),
                         nullptr, &jerr) == NATS_OK &&
      ci != nullptr) {
    if (ci->AckFloor.Stream > 0) {
      last_seq.store(ci->AckFloor.Stream, std::memory_order_relaxed);
      have_position = true;
    }
    jsConsumerInfo_Destroy(ci);
  }
  subscribed.store(true, std::memory_order_relaxed);
  fetch_errors_in_a_row = 0;
  return true;
}

bool JetStreamSource::Impl::acknowledge() {
  if (to_ack == nullptr) return true;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  const natsStatus s = natsMsg_AckSync(to_ack, nullptr, &jerr);
  if (s == NATS_OK) {
    natsMsg_Destroy(to_ack);
    to_ack = nullptr;
    ack_attempts = 0;
    return true;
  }
  add(ack_errors);
  if (++ack_attempts >= kMaxAckAttempts) {
    // The records stay counted once here; after a restart of this process
    // the server would deliver them again.
    warn("acknowledgement failed " + std::to_string(ack_attempts) + " times (" + nats_error(s) +
         "); giving it up");
    natsMsg_Destroy(to_ack);
    to_ack = nullptr;
    ack_attempts = 0;
    return true;
  }
  return false;
}

void JetStreamSource::Impl::drop_subscription() {
  if (to_ack != nullptr) {
    natsMsg_Destroy(to_ack);
    to_ack = nullptr;
    ack_attempts = 0;
  }
  natsSubscription_Destroy(sub);
  sub = nullptr;
  stream_ready = false;
  subscribed.store(false, std::memory_order_relaxed);
}

bool JetStreamSource::Impl::consumer_deleted() {
  const auto now = Clock::now();
  if (now < next_consumer_check) return false;
  next_consumer_check = now + kConsumerCheckInterval;
  jsConsumerInfo* ci = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  const natsStatus s = js_GetConsumerInfo(&ci, link->js(), options.stream.name.c_str(),
                                          options.durable.c_str(), nullptr, &jerr);
  if (s == NATS_OK) jsConsumerInfo_Destroy(ci);
  return s == NATS_NOT_FOUND;
}

std::size_t JetStreamSource::Impl::poll(std::vector<SourceRecord>& out, std::size_t max) {
  if (max == 0) return 0;
  if (!ensure_subscribed() || !acknowledge()) {
    idle();
    return 0;
  }
  natsMsgList list{nullptr, 0};
  jsErrCode jerr = static_cast<jsErrCode>(0);
  const int batch = static_cast<int>(std::min(max, options.fetch_batch));
  const natsStatus s = natsSubscription_Fetch(&list, sub, batch, options.fetch_timeout_ms, &jerr);
  if (s == NATS_TIMEOUT) {
    fetch_errors_in_a_row = 0;
    if (consumer_deleted()) {
      add(fetch_errors);
      warn("durable consumer " + options.durable + " is gone; subscribing anew");
      drop_subscription();
    }
    return 0;  // nothing new
  }
  if (s != NATS_OK) {
    add(fetch_errors);
    warn("fetch: " + nats_error(s));
    if (link->connected() && ++fetch_errors_in_a_row >= kMaxConsecutiveFetchErrors) {
      // Connected yet failing: make the subscription (and consumer) anew.
      drop_subscription();
    }
    idle();
    return 0;
  }
  fetch_errors_in_a_row = 0;
  if (out.size() < static_cast<std::size_t>(list.Count)) out.resize(list.Count);
  std::size_t n = 0;
  std::uint64_t last = last_seq.load(std::memory_order_relaxed);
  for (int i = 0; i < list.Count; ++i) {
    natsMsg* msg = list.Msgs[i];
    jsMsgMetaData* meta = nullptr;
    if (natsMsg_GetMetaData(&meta, msg) != NATS_OK || meta == nullptr) {
      add(rejected[kNotJetStream]);
      continue;
    }
    const std::uint64_t seq = meta->Sequence.Stream;
    const std::uint64_t cseq = meta->Sequence.Consumer;
    pending.store(meta->NumPending, std::memory_order_relaxed);
    jsMsgMetaData_Destroy(meta);
    // The newest delivery acknowledges everything before it (AckAll).
    if (cseq >= to_ack_consumer_seq || to_ack == nullptr) {
      if (to_ack != nullptr) natsMsg_Destroy(to_ack);
      to_ack = msg;
      to_ack_consumer_seq = cseq;
      list.Msgs[i] = nullptr;  // kept past natsMsgList_Destroy
    }
    if (have_position && seq <= last) {
      add(redelivered);
      continue;
    }
    if (have_position && seq > last + 1) add(gap_records, seq - last - 1);
    last = seq;
    have_position = true;
    const DecodeStatus d = decode_record(
        natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg)), out[n].record);
    if (d != DecodeStatus::kOk) {
      add(rejected[static_cast<std::size_t>(d)]);
      continue;
    }
    out[n].stream_sequence = seq;
    ++n;
  }
  natsMsgList_Destroy(&list);
  last_seq.store(last, std::memory_order_relaxed);
  add(records, n);
  return n;
}

JetStreamSource::JetStreamSource(SourceOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {
  const SourceOptions& o = impl_->options;
  std::string why;
  if (!valid_nats_url(o.url, why)) throw std::invalid_argument(why);
  if (o.subject.empty()) throw std::invalid_argument("empty source subject");
  if (o.durable.empty() || o.durable.find_first_of(".*> \t") != std::string::npos) {
    throw std::invalid_argument("durable consumer name '" + o.durable +
                                "' is empty or holds '.', '*', '>' or a space");
  }
  if (o.fetch_batch == 0 || o.fetch_timeout_ms <= 0 ||
      o.max_ack_pending < static_cast<std::int64_t>(o.fetch_batch)) {
    throw std::invalid_argument("fetch batch and timeout must be > 0, max_ack_pending >= batch");
  }
  impl_->link = std::make_unique<NatsLink>(o.url, "driftwatch fleet " + o.durable, nullptr);
}

JetStreamSource::~JetStreamSource() {
  if (impl_->to_ack != nullptr && impl_->link->connected()) impl_->acknowledge();
  if (impl_->to_ack != nullptr) {
    natsMsg_Destroy(impl_->to_ack);
    impl_->to_ack = nullptr;
  }
  if (impl_->sub != nullptr) {
    natsSubscription_Destroy(impl_->sub);
    impl_->sub = nullptr;
  }
  impl_->link.reset();
}

std::size_t JetStreamSource::poll(std::vector<SourceRecord>& out, std::size_t max) {
  return impl_->poll(out, max);
}

bool JetStreamSource::commit() { return impl_->link->connected() && impl_->acknowledge(); }

SourceStats JetStreamSource::stats() const {
  const Impl& m = *impl_;
  SourceStats s;
  s.records = m.records.load(std::memory_order_relaxed);
  s.gap_records = m.gap_records.load(std::memory_order_relaxed);
  s.redelivered = m.redelivered.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < kRejectReasons; ++i) {
    s.rejected[i] = m.rejected[i].load(std::memory_order_relaxed);
  }
  s.fetch_errors = m.fetch_errors.load(std::memory_order_relaxed);
  s.ack_errors = m.ack_errors.load(std::memory_order_relaxed);
  s.pending = m.pending.load(std::memory_order_relaxed);
  s.last_stream_sequence = m.last_seq.load(std::memory_order_relaxed);
  s.connected = m.link && m.link->connected();
  s.subscribed = m.subscribed.load(std::memory_order_relaxed);
  s.disconnects = m.link ? m.link->disconnects() : 0;
  return s;
}

}  // namespace driftwatch::fleet
