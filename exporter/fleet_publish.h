// FleetPublish: the fan-out's consumer for --publish. Hands every successful
// prediction with an embedding to a RecordPublisher (exporter/fleet/), which
// publishes it to NATS JetStream from its own thread: feed() only encodes
// into a bounded buffer and never waits (docs/fleet.md).
//
// The subject is --publish-subject, or driftwatch.<model>.<version>.records
// of the producer: the publisher starts when the first producer attaches,
// and starts anew on a producer with another default subject.
//
// Thread contract: on_producer() and feed() on the fan-out's thread;
// collector() from any thread (it reads the current publisher's counters).
#pragma once

#include <prometheus/collectable.h>

#include <cstddef>
#include <memory>
#include <string>

#include "exporter/fleet/record_publisher.h"
#include "shared/ring/ring_reader.h"
#include "shared/ring/segment_info.h"

namespace driftwatch::exporter {

struct FleetPublishOptions {
  std::string url;         // nats://HOST:PORT; empty: not publishing
  std::string subject;     // empty: the producer's default subject
  std::string replica_id;  // empty: the host name
  std::size_t buffer_records = 4096;
};

class FleetPublish {
 public:
  explicit FleetPublish(FleetPublishOptions options);
  ~FleetPublish();

  bool enabled() const { return !options_.url.empty(); }
  // --publish-replica-id, or the host name.
  const std::string& replica_id() const { return options_.replica_id; }
  void on_producer(const ring::SegmentInfo& info);
  void feed(const ring::Record* records, std::size_t n);

  // publish_* of the current publisher (nothing before the first producer).
  std::shared_ptr<prometheus::Collectable> collector();

 private:
  class Collector;
  FleetPublishOptions options_;
  std::string subject_;
  std::uint64_t generation_ = 0;
  // Swapped by on_producer(), read by scrapes: std::atomic_load/store.
  std::shared_ptr<fleet::RecordPublisher> publisher_;
};

}  // namespace driftwatch::exporter
