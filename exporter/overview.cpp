#include "exporter/overview.h"

#include <spdlog/fmt/fmt.h>

#include "shared/common/json_string.h"

namespace driftwatch::exporter {
namespace {

struct Link {
  const char* href;
  const char* what;
};

constexpr Link kLinks[] = {
    {"/", "this page (JSON with Accept: application/json)"},
    {"/drift?format=html", "drift test statistic against the threshold, live"},
    {"/predictions", "class mix, confidence, latency and errors, last minute and hour"},
    {"/feedback?format=html", "accuracy on labelled traffic: confusion matrix, reliability"},
    {"/drift", "detector state and steps as JSON (?since=STEP: only newer steps)"},
    {"/feedback", "joined labels, accuracy per source, confusion and reliability as JSON"},
    {"/predictions?format=json", "the predictions page's data as JSON"},
    {"/metrics", "Prometheus metrics"},
    {"/healthz", "liveness and ring state as JSON"},
};

}  // namespace

std::string overview_json(const std::string& ring_name, const RingStatus& ring,
                          const DriftStatus& drift) {
  const ring::SegmentInfo producer = ring.producer();
  const bool attached = ring.ring_attached();
  std::string out = "{\"ring\":{\"name\":";
  common::append_json_string(out, ring_name);
  out += fmt::format(
      ",\"attached\":{},\"producer_up\":{},\"producer_pid\":{},\"generation\":{},"
      "\"slot_count\":{},\"records_read\":{},\"records_dropped\":{},\"lag\":{}}}",
      attached, ring.producer_up(), producer.producer_pid, ring.generation(), producer.slot_count,
      ring.records_read(), ring.records_dropped(), ring.lag());
  out += ",\"model\":";
  if (!attached) {
    out += "null";
  } else {
    out += "{\"name\":";
    common::append_json_string(out, producer.model_name);
    out += ",\"version\":";
    common::append_json_string(out, producer.model_version);
    out += fmt::format(",\"embedding_dim\":{},\"classes\":[", producer.embedding_dim);
    for (std::size_t i = 0; i < producer.class_names.size(); ++i) {
      if (i) out += ',';
      common::append_json_string(out, producer.class_names[i]);
    }
    out += "]}";
  }
  out += ",\"detector\":";
  out += drift.to_json(0, false);
  out += ",\"links\":[";
  bool first = true;
  for (const Link& link : kLinks) {
    if (!first) out += ',';
    first = false;
    out += "{\"href\":";
    common::append_json_string(out, link.href);
    out += ",\"what\":";
    common::append_json_string(out, link.what);
    out += '}';
  }
  out += "]}\n";
  return out;
}

}  // namespace driftwatch::exporter
