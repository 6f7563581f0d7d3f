// FleetSourceFeed: the fleet detector's pipeline (drift-exporter --source
// nats://...), the counterpart of RingFollower -> RecordFanout for one
// detector over the merged records of every replica:
//
//   JetStreamSource (durable consumer, stream order) -> FleetSourceFeed
//       -> DriftStage     (the same state machine, reference rules and cache)
//       -> RingStatus     (what /healthz and / show, here of the source)
//
// Each iteration ticks the drift stage, polls one batch (up to batch_size)
// and feeds it as ring records (class, confidence, time, request id, the
// embedding; HTTP status 200: only successful predictions are published).
// The source acknowledges a batch only at the next poll, i.e. after the
// detector stepped it, so a restarted fleet detector resumes after the last
// record it tested. While the detector calibrates nothing is fetched: the
// records wait in the stream instead of being passed over untested. The
// first record, and any record of another embedding dimension, is announced
// to the drift stage as a producer (DriftStage::on_producer checks D).
//
// RingStatus here: attached = records arrived (the "model" is the subject,
// with their D), producer_up = connected to NATS, records_read = records consumed, records_dropped
// = gap records (retention dropped them unread), lag = records still pending.
//
// Thread contract: run() (or run_once()) on one thread, the only one that
// polls the source and feeds the stage (constructing the source on another
// thread before that one starts is fine); stop() and status() from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "exporter/drift_stage.h"
#include "exporter/fleet/jetstream_source.h"
#include "exporter/ring_status.h"
#include "shared/ring/ring_reader.h"

namespace driftwatch::exporter {

class FleetSourceFeed {
 public:
  struct Options {
    std::size_t batch_size = 256;
    // The subject read, shown as the "model" of the status (the records
    // carry no model name).
    std::string subject;
    // Sleep while the detector calibrates (records wait in the stream).
    std::chrono::milliseconds calibrating_sleep{20};
  };

  FleetSourceFeed(fleet::JetStreamSource& source, DriftStage& drift, Options options);

  void run();
  void stop() { stop_.store(true, std::memory_order_relaxed); }
  // One iteration; returns the records fed. For tests.
  std::size_t run_once();

  const RingStatus& status() const { return status_; }

 private:
  void announce_dim(std::size_t dim);
  void update_status(std::uint64_t fed);

  fleet::JetStreamSource& source_;
  DriftStage& drift_;
  Options options_;
  RingStatus status_;
  std::vector<fleet::SourceRecord> polled_;
  std::vector<ring::Record> batch_;
  std::size_t dim_ = 0;  // D of the records so far (0: none yet)
  std::uint64_t gaps_seen_ = 0;
  std::atomic<bool> stop_{false};
};

}  // namespace driftwatch::exporter
