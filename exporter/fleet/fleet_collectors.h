// The fleet metrics, read from the publisher's and the source's atomic
// counters at every scrape (prometheus::Collectable), so that neither the
// ring reader nor the fleet detector's thread touches a Prometheus family:
//
//   publish_records_total                 counter  records JetStream acknowledged
//   publish_dropped_total{reason}         counter  one series per DropReason, from 0
//   publish_buffer_records                gauge    records waiting in the buffer
//   publish_inflight_records              gauge    sent, not acknowledged yet
//   publish_connected                     gauge    1 while connected to NATS
//   fleet_source_records_total            counter  records the fleet detector read
//   fleet_source_gap_records_total        counter  dropped by retention before they were read
//   fleet_source_redelivered_total        counter  delivered again, skipped
//   fleet_source_rejected_total{reason}   counter  messages that are not fleet records
//   fleet_source_fetch_errors_total       counter  failed fetches (NATS down, ...)
//   fleet_source_pending_records          gauge    records in the stream not read yet
//   fleet_source_connected                gauge    1 while connected to NATS
//
// Thread contract: Collect() from any thread; the publisher or source must
// outlive the collector.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <vector>

#include "exporter/fleet/jetstream_source.h"
#include "exporter/fleet/record_publisher.h"

namespace driftwatch::fleet {

class PublisherCollector : public prometheus::Collectable {
 public:
  explicit PublisherCollector(const RecordPublisher& publisher) : publisher_(publisher) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const RecordPublisher& publisher_;
};

class SourceCollector : public prometheus::Collectable {
 public:
  explicit SourceCollector(const JetStreamSource& source) : source_(source) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const JetStreamSource& source_;
};

}  // namespace driftwatch::fleet
