#include "exporter/fleet/fleet_collectors.h"

#include <string>

namespace driftwatch::fleet {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

ClientMetric value_of(MetricType type, double value, std::vector<ClientMetric::Label> labels = {}) {
  ClientMetric m;
  m.label = std::move(labels);
  if (type == MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  return m;
}

MetricFamily one(const std::string& name, const std::string& help, MetricType type, double value) {
  return MetricFamily{name, help, type, {value_of(type, value)}};
}

double as_double(std::uint64_t v) { return static_cast<double>(v); }

}  // namespace

std::vector<MetricFamily> PublisherCollector::Collect() const {
  const PublisherStats s = publisher_.stats();
  MetricFamily dropped{"publish_dropped_total",
                       "Fleet records not published, by reason (docs/fleet.md)",
                       MetricType::Counter,
                       {}};
  for (std::size_t r = 0; r < s.dropped.size(); ++r) {
    dropped.metric.push_back(value_of(MetricType::Counter, as_double(s.dropped[r]),
                                      {{"reason", drop_reason_name(static_cast<DropReason>(r))}}));
  }
  return {
      one("publish_records_total", "Fleet records JetStream acknowledged", MetricType::Counter,
          as_double(s.published)),
      std::move(dropped),
      one("publish_buffer_records", "Fleet records waiting in the publish buffer",
          MetricType::Gauge, as_double(s.buffered)),
      one("publish_inflight_records", "Fleet records sent and not acknowledged yet",
          MetricType::Gauge, as_double(s.inflight)),
      one("publish_connected", "1 while the publisher is connected to NATS", MetricType::Gauge,
          s.connected ? 1.0 : 0.0),
  };
}

std::vector<MetricFamily> SourceCollector::Collect() const {
  const SourceStats s = source_.stats();
  MetricFamily rejected{"fleet_source_rejected_total",
                        "Messages on the records subject that are not fleet records, by reason",
                        MetricType::Counter,
                        {}};
  for (std::size_t r = 0; r < s.rejected.size(); ++r) {
    if (r == static_cast<std::size_t>(DecodeStatus::kOk)) continue;
    rejected.metric.push_back(value_of(MetricType::Counter, as_double(s.rejected[r]),
                                       {{"reason", reject_reason_name(r)}}));
  }
  return {
      one("fleet_source_records_total", "Fleet records read from JetStream", MetricType::Counter,
          as_double(s.records)),
      one("fleet_source_gap_records_total",
          "Fleet records the stream's retention dropped before they were read", MetricType::Counter,
          as_double(s.gap_records)),
      one("fleet_source_redelivered_total", "Fleet records delivered again and skipped",
          MetricType::Counter, as_double(s.redelivered)),
      std::move(rejected),
      one("fleet_source_fetch_errors_total", "Failed JetStream fetches", MetricType::Counter,
          as_double(s.fetch_errors)),
      one("fleet_source_pending_records", "Fleet records in the stream not read yet",
          MetricType::Gauge, as_double(s.pending)),
      one("fleet_source_connected", "1 while the fleet source is connected to NATS",
          MetricType::Gauge, s.connected ? 1.0 : 0.0),
  };
}

}  // namespace driftwatch::fleet
