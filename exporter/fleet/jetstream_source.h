// JetStreamSource: the fleet detector's input. A durable JetStream pull
// consumer over the records stream that yields fleet records in stream order
// (the order the fleet detector steps them in) and resumes from its durable
// position after a restart.
//
// Delivery: each poll() first acknowledges everything the previous poll
// returned (one AckSync of its last message; the consumer acknowledges all
// up to it), then fetches the next batch. Records are thus acknowledged only
// after the caller has processed them, and a restarted source continues after
// the last acknowledged record: a clean restart counts nothing twice; a
// process killed between a poll and the next can see that one batch again.
// Within one process a record is never yielded twice: redeliveries (stream
// sequence at or below the last one yielded) are skipped and counted.
//
// Loss is counted, never an error: a jump in the stream sequence past the
// last record yielded (or acknowledged, after a restart) is a gap that the
// stream's retention dropped before it was read (gap_records). Messages that
// are not fleet records are skipped and counted by reason.
//
// A NATS server that is down at start or restarts is waited for in poll()
// (at most about fetch_timeout_ms per call): the connection and the pull
// subscription come back by themselves; fetch errors are counted.
//
// Thread contract: one thread constructs, polls and destroys it; stats()
// from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "exporter/fleet/fleet_record.h"
#include "exporter/fleet/stream_settings.h"

namespace driftwatch::fleet {

struct SourceOptions {
  std::string url;      // nats://HOST:PORT
  std::string subject;  // records of one model (wildcards allowed)
  std::string durable = "fleet-detector";
  StreamSettings stream;  // created when missing, so the consumer can start first
  std::size_t fetch_batch = 256;
  std::int64_t fetch_timeout_ms = 100;
  // Longer than a batch takes to process: a redelivery before that would
  // be skipped anyway, but costs a round trip.
  std::int64_t ack_wait_ms = 30000;
  std::int64_t max_ack_pending = 8192;  // >= fetch_batch
};

struct SourceRecord {
  std::uint64_t stream_sequence = 0;
  FleetRecord record;
};

// Why a message was skipped (DecodeStatus, plus one for non-JetStream messages).
inline constexpr std::size_t kRejectReasons = 6;
const char* reject_reason_name(std::size_t reason);

struct SourceStats {
  std::uint64_t records = 0;      // yielded by poll()
  std::uint64_t gap_records = 0;  // dropped by retention before they were read
  std::uint64_t redelivered = 0;  // delivered again, skipped
  std::array<std::uint64_t, kRejectReasons> rejected{};
  std::uint64_t fetch_errors = 0;
  std::uint64_t ack_errors = 0;
  std::uint64_t pending = 0;  // records in the stream after the last one fetched
  std::uint64_t last_stream_sequence = 0;
  bool connected = false;
  bool subscribed = false;
  std::uint64_t disconnects = 0;
  std::uint64_t rejected_total() const {
    std::uint64_t n = 0;
    for (auto r : rejected) n += r;
    return n;
  }
};

class JetStreamSource {
 public:
  // Starts connecting; never blocks on an unreachable server for longer than
  // a connect timeout. Throws std::invalid_argument for bad options.
  explicit JetStreamSource(SourceOptions options);
  // Acknowledges what the last poll() returned when the server is reachable.
  ~JetStreamSource();
  JetStreamSource(const JetStreamSource&) = delete;
  JetStreamSource& operator=(const JetStreamSource&) = delete;

  // Acknowledges the previous batch, then fills out[0, n) with up to `max`
  // records (out grows as needed; its buffers are reused) and returns n.
  // Waits at most about fetch_timeout_ms when nothing is there.
  std::size_t poll(std::vector<SourceRecord>& out, std::size_t max);

  // Acknowledges what poll() returned so far; false when that failed.
  bool commit();

  SourceStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace driftwatch::fleet
