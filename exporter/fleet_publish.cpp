#include "exporter/fleet_publish.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "exporter/fleet/fleet_collectors.h"
#include "exporter/fleet/stream_settings.h"

namespace driftwatch::exporter {

class FleetPublish::Collector : public prometheus::Collectable {
 public:
  explicit Collector(FleetPublish& owner) : owner_(owner) {}
  std::vector<prometheus::MetricFamily> Collect() const override {
    const auto p = std::atomic_load(&owner_.publisher_);
    if (!p) return {};
    return fleet::PublisherCollector(*p).Collect();
  }

 private:
  FleetPublish& owner_;
};

FleetPublish::FleetPublish(FleetPublishOptions options) : options_(std::move(options)) {
  if (options_.replica_id.empty()) {
    char host[256] = {};
    options_.replica_id = ::gethostname(host, sizeof(host) - 1) == 0 ? host : "unknown";
  }
}

FleetPublish::~FleetPublish() { std::atomic_store(&publisher_, {}); }

void FleetPublish::on_producer(const ring::SegmentInfo& info) {
  if (!enabled()) return;
  generation_ = info.generation;
  const std::string subject = options_.subject.empty()
                                  ? fleet::default_subject(info.model_name, info.model_version)
                                  : options_.subject;
  if (std::atomic_load(&publisher_) && subject == subject_) return;
  subject_ = subject;
  fleet::PublisherOptions o;
  o.url = options_.url;
  o.subject = subject_;
  o.replica_id = options_.replica_id;
  o.buffer_records = options_.buffer_records;
  // The old publisher (if any) drains for up to its drain timeout.
  std::atomic_store(&publisher_, std::make_shared<fleet::RecordPublisher>(o));
  spdlog::info("publishing predictions to {} subject {} as replica {}", options_.url, subject_,
               options_.replica_id);
}

void FleetPublish::feed(const ring::Record* records, std::size_t n) {
  fleet::RecordPublisher* p = publisher_.get();  // only this thread swaps it
  if (p == nullptr) return;
  for (std::size_t i = 0; i < n; ++i) {
    const ring::Record& r = records[i];
    if (r.fields.class_index < 0 || r.embedding.empty()) continue;
    fleet::RecordFields f;
    f.timestamp_ns = r.fields.timestamp_ns;
    f.request_id = r.fields.request_id;
    f.producer_generation = generation_;
    f.class_index = r.fields.class_index;
    f.confidence = r.fields.confidence;
    f.embedding = r.embedding.data();
    f.embedding_dim = static_cast<std::uint32_t>(r.embedding.size());
    p->offer(f);
  }
}

std::shared_ptr<prometheus::Collectable> FleetPublish::collector() {
  return std::make_shared<Collector>(*this);
}

}  // namespace driftwatch::exporter
