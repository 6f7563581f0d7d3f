#include "exporter/fleet/record_publisher.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <stdexcept>
#include <thread>

#include "exporter/fleet/nats_link.h"
#include "exporter/fleet/record_buffer.h"

namespace driftwatch::fleet {

const char* drop_reason_name(DropReason r) {
  switch (r) {
    case DropReason::kBufferFull:
      return "buffer_full";
    case DropReason::kTooLarge:
      return "too_large";
    case DropReason::kPublishError:
      return "publish_error";
    case DropReason::kAckTimeout:
      return "ack_timeout";
    case DropReason::kNoStream:
      return "no_stream";
    case DropReason::kRejected:
      return "rejected";
    case DropReason::kShutdown:
      return "shutdown";
    case DropReason::kCount:
      break;
  }
  return "unknown";
}

using Clock = std::chrono::steady_clock;

struct RecordPublisher::Impl {
  explicit Impl(PublisherOptions o) : options(std::move(o)), buffer(options.buffer_records) {}

  void drop(DropReason r, std::uint64_t n = 1) {
    dropped[static_cast<std::size_t>(r)].fetch_add(n, std::memory_order_relaxed);
  }

  static void on_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
    auto* self = static_cast<Impl*>(closure);
    if (pa != nullptr) {
      self->published.fetch_add(1, std::memory_order_relaxed);
    } else if (pae != nullptr) {
      if (pae->Err == NATS_TIMEOUT) {
        self->drop(DropReason::kAckTimeout);
      } else if (pae->Err == NATS_NO_RESPONDERS) {
        self->drop(DropReason::kNoStream);
        // Ask the publisher thread to look for (or create) the stream again.
        self->stream_missing.store(true, std::memory_order_relaxed);
      } else {
        self->drop(DropReason::kRejected);
      }
    }
    self->settled.fetch_add(1, std::memory_order_relaxed);
    natsMsg_Destroy(msg);
  }

  // Rate-limited warning from the publisher thread.
  void warn(const std::string& what) {
    const auto now = Clock::now();
    if (now - last_warning >= std::chrono::seconds(10)) {
      spdlog::warn("fleet publish to {}: {}", options.url, what);
      last_warning = now;
    }
  }

  void run();
  void shutdown();

  PublisherOptions options;
  RecordBuffer buffer;
  std::unique_ptr<NatsLink> link;
  std::thread thread;
  // Relaxed: a stop request polled every loop; join() orders the rest.
  std::atomic<bool> stop{false};
  // Relaxed: set by the ack callback, read by the publisher thread; a late
  // read only delays the next stream lookup by one loop.
  std::atomic<bool> stream_missing{false};
  // Counters (relaxed: metrics, they order nothing).
  std::atomic<std::uint64_t> offered{0};
  std::atomic<std::uint64_t> sent{0};     // handed to js_PublishAsync
  std::atomic<std::uint64_t> settled{0};  // acknowledged, failed or abandoned
  std::atomic<std::uint64_t> published{0};
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(DropReason::kCount)> dropped{};
  std::atomic<bool> connected{false};
  std::atomic<std::uint64_t> disconnects{0};
  Clock::time_point last_warning = Clock::now() - std::chrono::hours(1);
};

void RecordPublisher::Impl::run() {
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.PublishAsync.MaxPending = options.max_inflight;
  jo.PublishAsync.AckHandler = &Impl::on_ack;
  jo.PublishAsync.AckHandlerClosure = this;
  // At max_inflight the publish call waits this long on this thread, then
  // answers NATS_TIMEOUT and the record stays in the buffer.
  jo.PublishAsync.StallWait = 20;
  try {
    link = std::make_unique<NatsLink>(options.url, "driftwatch " + options.replica_id, &jo);
  } catch (const std::exception& e) {
    spdlog::error("fleet publish: {}; every record is dropped (publish_error)", e.what());
  }
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = options.ack_timeout_ms;
  bool stream_ready = false;
  Clock::time_point next_stream_try{};
  while (!stop.load(std::memory_order_relaxed)) {
    if (!link) {
      // No usable connection at all: keep the buffer moving, counted.
      while (buffer.front() != nullptr) {
        buffer.pop();
        drop(DropReason::kPublishError);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    const bool up = link->connected();
    connected.store(up, std::memory_order_relaxed);
    disconnects.store(link->disconnects(), std::memory_order_relaxed);
    if (!up) {
      // Records wait in the buffer; the reader drops what does not fit.
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    if (stream_missing.exchange(false, std::memory_order_relaxed)) stream_ready = false;
    if (!stream_ready) {
      if (Clock::now() < next_stream_try) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        continue;
      }
      std::string error;
      stream_ready = link->ensure_stream(options.stream, error);
      if (!stream_ready) {
        warn(error);
        next_stream_try = Clock::now() + std::chrono::seconds(1);
        continue;
      }
    }
    const std::string* record = buffer.front();
    if (record == nullptr) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      continue;
    }
    const natsStatus s = js_PublishAsync(link->js(), options.subject.c_str(), record->data(),
                                         static_cast<int>(record->size()), &po);
    if (s == NATS_OK) {
      sent.fetch_add(1, std::memory_order_relaxed);
      buffer.pop();
    } else if (s == NATS_TIMEOUT || !link->connected()) {
      // Too many unacknowledged, or the connection just dropped: keep it.
      continue;
    } else {
      buffer.pop();
      drop(s == NATS_MAX_PAYLOAD ? DropReason::kTooLarge : DropReason::kPublishError);
      warn("js_PublishAsync: " + nats_error(s));
    }
  }
  shutdown();
}

void RecordPublisher::Impl::shutdown() {
  std::uint64_t left = 0;
  while (buffer.front() != nullptr) {
    buffer.pop();
    ++left;
  }
  drop(DropReason::kShutdown, left);
  if (!link) return;
  if (link->connected()) {
    jsPubOptions o;
    jsPubOptions_Init(&o);
    o.MaxWait = options.drain_timeout_ms;
    js_PublishAsyncComplete(link->js(), &o);
  }
  // Only once something was published: before that the context has no table
  // of pending acks, and cnats 3.4 dereferences the missing table.
  natsMsgList pending;
  if (sent.load(std::memory_order_relaxed) > 0 &&
      js_PublishAsyncGetPendingList(&pending, link->js()) == NATS_OK) {
    drop(DropReason::kShutdown, static_cast<std::uint64_t>(pending.Count));
    settled.fetch_add(static_cast<std::uint64_t>(pending.Count), std::memory_order_relaxed);
    natsMsgList_Destroy(&pending);
  }
  link.reset();
  connected.store(false, std::memory_order_relaxed);
}

RecordPublisher::RecordPublisher(PublisherOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {
  const PublisherOptions& o = impl_->options;
  std::string why;
  if (!valid_nats_url(o.url, why)) throw std::invalid_argument(why);
  if (!valid_subject(o.subject, why)) throw std::invalid_argument(why);
  if (o.replica_id.size() > kMaxReplicaIdBytes) {
    throw std::invalid_argument("replica id longer than " + std::to_string(kMaxReplicaIdBytes) +
                                " bytes");
  }
  if (o.buffer_records == 0 || o.max_inflight <= 0 || o.ack_timeout_ms <= 0) {
    throw std::invalid_argument("publisher buffer, in-flight limit and ack timeout must be > 0");
  }
  impl_->thread = std::thread([this] { impl_->run(); });
}

RecordPublisher::~RecordPublisher() {
  impl_->stop.store(true, std::memory_order_relaxed);
  impl_->thread.join();
}

bool RecordPublisher::offer(const RecordFields& record) {
  Impl& m = *impl_;
  m.offered.fetch_add(1, std::memory_order_relaxed);
  const std::size_t bytes = encoded_size(m.options.replica_id.size(), record.embedding_dim);
  if (record.embedding_dim > kMaxEmbeddingDim || bytes > m.options.max_record_bytes) {
    m.drop(DropReason::kTooLarge);
    return false;
  }
  const bool pushed = m.buffer.try_push(
      [&](std::string& slot) { encode_record(m.options.replica_id, record, slot); });
  if (!pushed) m.drop(DropReason::kBufferFull);
  return pushed;
}

PublisherStats RecordPublisher::stats() const {
  const Impl& m = *impl_;
  PublisherStats s;
  s.offered = m.offered.load(std::memory_order_relaxed);
  s.published = m.published.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < s.dropped.size(); ++i) {
    s.dropped[i] = m.dropped[i].load(std::memory_order_relaxed);
  }
  s.buffered = m.buffer.size();
  const std::uint64_t sent = m.sent.load(std::memory_order_relaxed);
  const std::uint64_t settled = m.settled.load(std::memory_order_relaxed);
  s.inflight = sent > settled ? sent - settled : 0;
  s.connected = m.connected.load(std::memory_order_relaxed);
  s.disconnects = m.disconnects.load(std::memory_order_relaxed);
  return s;
}

const PublisherOptions& RecordPublisher::options() const { return impl_->options; }

}  // namespace driftwatch::fleet
