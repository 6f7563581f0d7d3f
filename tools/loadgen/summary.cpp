#include "tools/loadgen/summary.h"

#include <cstdio>
#include <string>

#include "shared/common/json_string.h"

namespace driftwatch::loadgen {

namespace {

constexpr TransportError kAllTransportErrors[] = {
    TransportError::kConnect, TransportError::kTimeout, TransportError::kClosed,
    TransportError::kCancelled, TransportError::kOther};

struct Percentile {
  const char* json_name;
  const char* text_name;
  double q;
};
constexpr Percentile kPercentiles[] = {
    {"p50", "p50", 0.50}, {"p90", "p90", 0.90}, {"p99", "p99", 0.99}, {"p999", "p99.9", 0.999}};

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

std::string ms(std::uint64_t nanos) { return fixed(static_cast<double>(nanos) / 1e6, 3); }

std::uint64_t count_of(const RunStats::Totals& totals, TransportError error) {
  const auto it = totals.transport_error_counts.find(error);
  return it == totals.transport_error_counts.end() ? 0 : it->second;
}

std::uint64_t answers_in_class(const RunStats::Totals& totals, int hundred) {
  std::uint64_t n = 0;
  for (const auto& [status, count] : totals.status_counts) {
    if (status / 100 == hundred) n += count;
  }
  return n;
}

}  // namespace

double Summary::achieved_rps() const {
  return duration_s > 0.0 ? static_cast<double>(totals.answers) / duration_s : 0.0;
}

void print_text(std::ostream& out, const Summary& s) {
  const RunStats::Totals& t = s.totals;
  out << "loadgen " << s.mode << " run against " << s.url << "\n";
  if (s.mode == "rate") {
    out << "  target rate       " << fixed(s.target_rps, 1) << " req/s on " << s.connections
        << " connections\n";
  } else {
    out << "  stages            ";
    for (std::size_t i = 0; i < s.stages.size(); ++i) out << (i ? "," : "") << s.stages[i];
    out << " workers x " << fixed(s.stage_seconds, 1) << " s\n";
  }
  out << "  duration          " << fixed(s.duration_s, 3) << " s\n";
  out << "  requests          " << t.requests << "\n";
  out << "  answers           " << t.answers;
  for (const auto& [status, count] : t.status_counts) out << "  [" << status << "] " << count;
  out << "\n";
  out << "  transport errors  " << t.transport_errors;
  for (const TransportError e : kAllTransportErrors) {
    if (const std::uint64_t n = count_of(t, e)) out << "  " << to_string(e) << " " << n;
  }
  out << "\n";
  if (t.unsent != 0) out << "  unsent            " << t.unsent << " (still queued at the end)\n";
  out << "  achieved rps      " << fixed(s.achieved_rps(), 1) << "\n";
  out << "  latency ms        min " << ms(t.latency.min()) << "  mean "
      << fixed(t.latency.mean() / 1e6, 3);
  for (const Percentile& p : kPercentiles) {
    out << "  " << p.text_name << " " << ms(t.latency.percentile(p.q));
  }
  out << "  max " << ms(t.latency.max()) << "\n";
  if (const auto& f = s.feedback) {
    out << "  feedback labels   " << f->sent << " sent in " << f->requests << " requests ("
        << fixed(s.feedback_share, 3) << " of labelled answers), " << f->accepted << " accepted, "
        << f->failed << " failed";
    if (f->unsent != 0) out << ", " << f->unsent << " unsent";
    out << "\n";
  }
}

void print_json(std::ostream& out, const Summary& s) {
  const RunStats::Totals& t = s.totals;
  out << "{\"schema\": \"driftwatch-loadgen/1\"";
  out << ", \"url\": " << common::json_quoted(s.url);
  out << ", \"mode\": " << common::json_quoted(s.mode);
  if (s.mode == "rate") {
    out << ", \"target_rps\": " << fixed(s.target_rps, 3) << ", \"stages\": null"
        << ", \"stage_seconds\": null";
  } else {
    out << ", \"target_rps\": null, \"stages\": [";
    for (std::size_t i = 0; i < s.stages.size(); ++i) out << (i ? ", " : "") << s.stages[i];
    out << "], \"stage_seconds\": " << fixed(s.stage_seconds, 3);
  }
  out << ", \"connections\": " << s.connections;
  out << ", \"error_share\": " << fixed(s.error_share, 6);
  out << ", \"duration_s\": " << fixed(s.duration_s, 3);
  out << ", \"requests\": " << t.requests;
  out << ", \"answers\": " << t.answers;
  out << ", \"answers_2xx\": " << answers_in_class(t, 2);
  out << ", \"answers_4xx\": " << answers_in_class(t, 4);
  out << ", \"answers_5xx\": " << answers_in_class(t, 5);
  out << ", \"status_counts\": {";
  bool first = true;
  for (const auto& [status, count] : t.status_counts) {
    out << (first ? "" : ", ") << "\"" << status << "\": " << count;
    first = false;
  }
  out << "}";
  out << ", \"transport_errors\": " << t.transport_errors;
  out << ", \"transport_error_kinds\": {";
  first = true;
  for (const TransportError e : kAllTransportErrors) {
    out << (first ? "" : ", ") << "\"" << to_string(e) << "\": " << count_of(t, e);
    first = false;
  }
  out << "}";
  out << ", \"unsent\": " << t.unsent;
  out << ", \"achieved_rps\": " << fixed(s.achieved_rps(), 3);
  out << ", \"latency_ms\": {\"count\": " << t.latency.count()
      << ", \"min\": " << ms(t.latency.min()) << ", \"mean\": " << fixed(t.latency.mean() / 1e6, 3);
  for (const Percentile& p : kPercentiles) {
    out << ", \"" << p.json_name << "\": " << ms(t.latency.percentile(p.q));
  }
  out << ", \"max\": " << ms(t.latency.max()) << "}";
  if (const auto& f = s.feedback) {
    out << ", \"feedback\": {\"share\": " << fixed(s.feedback_share, 6)
        << ", \"picked\": " << f->picked << ", \"sent\": " << f->sent
        << ", \"accepted\": " << f->accepted << ", \"failed\": " << f->failed
        << ", \"unsent\": " << f->unsent << ", \"requests\": " << f->requests << "}";
  }
  out << "}\n";
}

}  // namespace driftwatch::loadgen
