// RecordPublisher: publishes one replica's prediction records to a JetStream
// stream, asynchronously, from a bounded buffer, so that the ring-reading
// thread never waits on NATS.
//
//   reader thread ──offer()──> RecordBuffer ──publisher thread──> js_PublishAsync ──> JetStream
//   (encodes, never waits)     (bounded, SPSC)  (connects, creates      acks on cnats' thread
//                                                the stream, sends)     (publish_records_total)
//
// What cannot be published is dropped and counted by reason, never waited
// for and never retried (a retry after a lost acknowledgement could store a
// record twice):
//   buffer_full   the buffer was full when offered (NATS slow or down)
//   too_large     the record is above the buffer's or NATS's size limit
//   publish_error cnats refused the message (e.g. over the server's max_payload)
//   ack_timeout   sent, but no acknowledgement within ack_timeout_ms: the
//                 stream may or may not hold it
//   no_stream     no stream listens on the subject
//   rejected      JetStream answered with an error
//   shutdown      still buffered or unacknowledged when the publisher stopped
// While NATS is down the publisher thread holds records in the buffer; once
// reconnected it publishes them in order, then the ones offered since.
//
// Thread contract: offer() from one thread (the ring reader); stats() from
// any thread; construct and destroy on one thread (the destructor stops the
// publisher thread and waits up to drain_timeout_ms for acknowledgements).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "exporter/fleet/fleet_record.h"
#include "exporter/fleet/stream_settings.h"

namespace driftwatch::fleet {

enum class DropReason : std::size_t {
  kBufferFull,
  kTooLarge,
  kPublishError,
  kAckTimeout,
  kNoStream,
  kRejected,
  kShutdown,
  kCount
};
const char* drop_reason_name(DropReason r);

struct PublisherOptions {
  std::string url;         // nats://HOST:PORT
  std::string subject;     // where records go (default_subject())
  std::string replica_id;  // this replica (pod name); at most kMaxReplicaIdBytes
  StreamSettings stream;   // created when missing
  std::size_t buffer_records = 4096;
  std::size_t max_record_bytes = 1 << 20;  // larger records: too_large
  std::int64_t max_inflight = 4096;        // unacknowledged publishes at once
  std::int64_t ack_timeout_ms = 5000;
  std::int64_t drain_timeout_ms = 2000;
};

// A snapshot of the publisher's counters.
struct PublisherStats {
  std::uint64_t offered = 0;    // offer() calls
  std::uint64_t published = 0;  // acknowledged by JetStream (publish_records_total)
  std::array<std::uint64_t, static_cast<std::size_t>(DropReason::kCount)> dropped{};
  std::uint64_t buffered = 0;  // in the buffer now (publish_buffer_records)
  std::uint64_t inflight = 0;  // sent, not acknowledged yet
  bool connected = false;
  std::uint64_t disconnects = 0;
  std::uint64_t dropped_total() const {
    std::uint64_t n = 0;
    for (auto d : dropped) n += d;
    return n;
  }
};

class RecordPublisher {
 public:
  // Starts the publisher thread (which connects); never blocks on NATS.
  // Throws std::invalid_argument for a bad URL, subject or replica id.
  explicit RecordPublisher(PublisherOptions options);
  ~RecordPublisher();
  RecordPublisher(const RecordPublisher&) = delete;
  RecordPublisher& operator=(const RecordPublisher&) = delete;

  // Encodes the record into the buffer; false when it was dropped (counted).
  // Lock-free; never waits.
  bool offer(const RecordFields& record);

  PublisherStats stats() const;
  const PublisherOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace driftwatch::fleet
