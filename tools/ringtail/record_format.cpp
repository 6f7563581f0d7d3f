#include "tools/ringtail/record_format.h"

#include <cstdio>
#include <ctime>
#include <sstream>

#include "shared/common/json_string.h"

namespace driftwatch::ringtail {
namespace {

std::string wall_time(std::int64_t ns) {
  const std::time_t secs = static_cast<std::time_t>(ns / 1'000'000'000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>((ns / 1'000'000) % 1000));
  return buf;
}

// Floor division, so a time before 1970 still gets a nanosecond part in [0, 1e9).
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

const char* status_colour(int status) {
  if (status >= 500) return "\033[31m";  // red
  if (status >= 400) return "\033[33m";  // yellow
  return "\033[32m";                     // green
}

// Shortest exact form; null when not finite (a NaN confidence stays JSON).
template <typename T>
std::string number(T v) {
  std::string out;
  common::append_json_number(out, v);
  return out;
}

}  // namespace

std::string class_name_of(int class_index, const std::vector<std::string>& class_names) {
  if (class_index < 0) return "-";
  if (static_cast<std::size_t>(class_index) < class_names.size()) return class_names[class_index];
  return "#" + std::to_string(class_index);
}

std::string iso8601_utc(std::int64_t ns) {
  constexpr std::int64_t kNsPerSecond = 1'000'000'000;
  const std::int64_t secs = floor_div(ns, kNsPerSecond);
  const std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(ns - secs * kNsPerSecond));
  return buf;
}

std::string text_header() {
  char buf[128];
  std::snprintf(buf, sizeof(buf), "%-12s %10s %6s %10s  %-18s %10s", "TIME", "REQUEST", "STATUS",
                "LATENCY_MS", "CLASS", "CONFIDENCE");
  return buf;
}

namespace {

// A label for an earlier prediction: "label" where the status goes, the true
// class, and who gave it for which generation where the confidence goes.
std::string format_feedback_text_line(const ring::Record& r,
                                      const std::vector<std::string>& class_names, bool colour) {
  const auto& f = r.fields;
  char buf[256];
  std::snprintf(buf, sizeof(buf), "%-12s %10llu %s %10s  %-18s %s gen %llu",
                wall_time(f.timestamp_ns).c_str(), static_cast<unsigned long long>(f.request_id),
                colour ? "\033[36m label\033[0m" : " label", "-",
                class_name_of(f.class_index, class_names).c_str(),
                ring::feedback_source_label(f.feedback_source),
                static_cast<unsigned long long>(f.labelled_generation));
  return buf;
}

}  // namespace

std::string format_text_line(const ring::Record& r, const std::vector<std::string>& class_names,
                             bool colour) {
  const auto& f = r.fields;
  if (f.kind == ring::RecordKind::kFeedback)
    return format_feedback_text_line(r, class_names, colour);
  char status[32];
  if (colour) {
    std::snprintf(status, sizeof(status), "%s%6u\033[0m", status_colour(f.http_status),
                  static_cast<unsigned>(f.http_status));
  } else {
    std::snprintf(status, sizeof(status), "%6u", static_cast<unsigned>(f.http_status));
  }
  char confidence[16] = "         -";
  if (f.class_index >= 0) std::snprintf(confidence, sizeof(confidence), "%10.4f", f.confidence);
  char buf[256];
  std::snprintf(buf, sizeof(buf), "%-12s %10llu %s %10.3f  %-18s %s",
                wall_time(f.timestamp_ns).c_str(), static_cast<unsigned long long>(f.request_id),
                status, static_cast<double>(f.latency_total_ns) / 1e6,
                class_name_of(f.class_index, class_names).c_str(), confidence);
  return buf;
}

std::string format_json_line(const ring::Record& r, const std::vector<std::string>& class_names,
                             bool with_embedding) {
  const auto& f = r.fields;
  std::ostringstream o;
  // "time" beside the integer: jq reads numbers as doubles, which round a
  // 19-digit timestamp_ns to about 100 ns.
  o << "{\"sequence\":" << r.sequence << ",\"timestamp_ns\":" << f.timestamp_ns << ",\"time\":\""
    << iso8601_utc(f.timestamp_ns) << "\""
    << ",\"kind\":\"" << ring::record_kind_label(f.kind) << "\""
    << ",\"request_id\":" << f.request_id << ",\"handler\":\"" << ring::handler_label(f.handler)
    << "\",\"method\":\"" << ring::method_label(f.method) << "\",\"status\":" << f.http_status
    << ",\"latency_ms\":" << number(f.latency_total_ns / 1e6)
    << ",\"preprocess_ms\":" << number(f.latency_preprocess_ns / 1e6)
    << ",\"inference_ms\":" << number(f.latency_inference_ns / 1e6)
    << ",\"queue_ms\":" << number(f.latency_queue_ns / 1e6) << ",\"body_bytes\":" << f.body_bytes
    << ",\"class_index\":" << f.class_index;
  if (f.kind == ring::RecordKind::kFeedback) {
    // class_index is the true class; the prediction is (labelled_generation, request_id).
    o << ",\"class_name\":" << common::json_quoted(class_name_of(f.class_index, class_names))
      << ",\"confidence\":null,\"feedback_source\":\""
      << ring::feedback_source_label(f.feedback_source)
      << "\",\"labelled_generation\":" << f.labelled_generation;
  } else if (f.class_index >= 0) {
    o << ",\"class_name\":" << common::json_quoted(class_name_of(f.class_index, class_names))
      << ",\"confidence\":" << number(f.confidence);
  } else {
    o << ",\"class_name\":null,\"confidence\":null";
  }
  o << ",\"top_k\":[";
  const std::uint32_t k = f.top_k_count <= ring::kMaxTopK ? f.top_k_count : ring::kMaxTopK;
  for (std::uint32_t i = 0; i < k; ++i) {
    o << (i ? "," : "") << "{\"class_index\":" << f.top_k_class[i]
      << ",\"class_name\":" << common::json_quoted(class_name_of(f.top_k_class[i], class_names))
      << ",\"probability\":" << number(f.top_k_prob[i]) << "}";
  }
  o << "]";
  if (with_embedding) {
    o << ",\"embedding\":[";
    for (std::size_t i = 0; i < r.embedding.size(); ++i) {
      o << (i ? "," : "") << number(r.embedding[i]);
    }
    o << "]";
  }
  o << "}";
  return o.str();
}

}  // namespace driftwatch::ringtail
