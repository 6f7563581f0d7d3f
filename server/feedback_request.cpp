#include "server/feedback_request.h"

#include <simdjson.h>

#include <algorithm>

namespace driftwatch::server {
namespace {

constexpr ring::FeedbackSource kSources[] = {
    ring::FeedbackSource::kOther,
    ring::FeedbackSource::kRandom,
    ring::FeedbackSource::kFlagged,
    ring::FeedbackSource::kCorrected,
};

FeedbackRequestError refusal(unsigned status, std::string_view code, std::string detail) {
  return FeedbackRequestError{status, std::string(code), std::move(detail), std::nullopt};
}

// A user's string in a detail: cut short, so an error stays one readable line.
std::string quoted(std::string_view s) {
  constexpr std::size_t kShown = 64;
  return "'" + std::string(s.substr(0, kShown)) + (s.size() > kShown ? "...'" : "'");
}

std::optional<FeedbackRequestError> parse_request_id_field(simdjson::dom::object obj,
                                                           FeedbackLabel& label) {
  simdjson::dom::element el;
  if (obj["request_id"].get(el) != simdjson::SUCCESS)
    return refusal(422, "missing_request_id",
                   "no \"request_id\" (the string a /predict answer carries)");
  std::string_view text;
  if (el.get_string().get(text) != simdjson::SUCCESS)
    return refusal(
        422, "invalid_request_id",
        "\"request_id\" must be the string a /predict answer carries, e.g. \"640c1e2a3b4c5-2a\"");
  const auto key = parse_request_id(text);
  if (!key)
    return refusal(422, "invalid_request_id",
                   "\"request_id\" " + quoted(text) +
                       " is not one this server issues (<generation>-<id>, hex)");
  label.prediction = *key;
  return std::nullopt;
}

std::optional<FeedbackRequestError> parse_class_field(simdjson::dom::object obj,
                                                      const std::vector<std::string>& class_names,
                                                      FeedbackLabel& label) {
  simdjson::dom::element name_el;
  simdjson::dom::element index_el;
  const bool has_name = obj["label"].get(name_el) == simdjson::SUCCESS;
  const bool has_index = obj["class_index"].get(index_el) == simdjson::SUCCESS;
  if (has_name == has_index)
    return refusal(422, has_name ? "conflicting_label" : "missing_label",
                   "give exactly one of \"label\" (a class name) and \"class_index\"");
  if (has_name) {
    std::string_view name;
    if (name_el.get_string().get(name) != simdjson::SUCCESS)
      return refusal(422, "unknown_label", "\"label\" must be a class name string (GET /model)");
    const auto it = std::find(class_names.begin(), class_names.end(), name);
    if (it == class_names.end())
      return refusal(422, "unknown_label",
                     "\"label\" " + quoted(name) + " is not a class of the model (GET /model)");
    label.class_index = static_cast<std::int32_t>(it - class_names.begin());
    return std::nullopt;
  }
  const auto type = index_el.type();
  if (type != simdjson::dom::element_type::INT64 && type != simdjson::dom::element_type::UINT64)
    return refusal(422, "invalid_class_index", "\"class_index\" must be an integer");
  std::int64_t k = -1;
  if (index_el.get_int64().get(k) != simdjson::SUCCESS || k < 0 ||
      k >= static_cast<std::int64_t>(class_names.size()))
    return refusal(422, "class_index_out_of_range",
                   "\"class_index\" must be at least 0 and below " +
                       std::to_string(class_names.size()) + ", the model's class count");
  label.class_index = static_cast<std::int32_t>(k);
  return std::nullopt;
}

std::optional<FeedbackRequestError> parse_source_field(simdjson::dom::object obj,
                                                       FeedbackLabel& label) {
  simdjson::dom::element el;
  if (obj["source"].get(el) != simdjson::SUCCESS) return std::nullopt;  // default: other
  std::string_view name;
  std::optional<ring::FeedbackSource> source;
  if (el.get_string().get(name) == simdjson::SUCCESS) source = feedback_source_from_name(name);
  if (!source)
    return refusal(422, "unknown_source",
                   "\"source\" must be one of \"random\", \"flagged\", \"corrected\", \"other\"");
  label.source = *source;
  return std::nullopt;
}

std::optional<FeedbackRequestError> parse_label(simdjson::dom::element el,
                                                const std::vector<std::string>& class_names,
                                                FeedbackLabel& label) {
  simdjson::dom::object obj;
  if (el.get_object().get(obj) != simdjson::SUCCESS)
    return refusal(422, "invalid_feedback",
                   "a label must be an object {\"request_id\": ..., \"label\": ...}");
  if (auto e = parse_request_id_field(obj, label)) return e;
  if (auto e = parse_class_field(obj, class_names, label)) return e;
  return parse_source_field(obj, label);
}

}  // namespace

ring::RecordFields feedback_record(const FeedbackLabel& label, std::int64_t arrived_ns) {
  ring::RecordFields f;
  f.kind = ring::RecordKind::kFeedback;
  f.timestamp_ns = arrived_ns;
  f.request_id = label.prediction.request_id;
  f.labelled_generation = label.prediction.generation;
  f.class_index = label.class_index;
  f.feedback_source = label.source;
  // Where the label came in, for readers that print every record.
  f.handler = ring::Handler::kFeedback;
  f.method = ring::Method::kPost;
  return f;
}

std::optional<ring::FeedbackSource> feedback_source_from_name(std::string_view name) {
  for (const ring::FeedbackSource s : kSources) {
    if (name == ring::feedback_source_label(s)) return s;
  }
  return std::nullopt;
}

std::optional<FeedbackRequestError> parse_feedback_body(std::string_view body,
                                                        const std::vector<std::string>& class_names,
                                                        std::vector<FeedbackLabel>& labels) {
  labels.clear();
  if (body.empty())
    return refusal(422, "empty_body",
                   "the request has no body; send {\"request_id\": \"...\", \"label\": \"...\"}");
  if (body.size() > kMaxFeedbackBodyBytes)
    return refusal(
        413, "body_too_large",
        "a feedback body may hold at most " + std::to_string(kMaxFeedbackBodyBytes) + " bytes");
  // simdjson reads up to SIMDJSON_PADDING bytes past the end: parse a padded
  // per-thread copy.
  thread_local simdjson::dom::parser parser;
  thread_local std::string padded;
  padded.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  padded.assign(body);
  simdjson::dom::element root;
  if (auto err = parser.parse(padded.data(), padded.size(), false).get(root); err)
    return refusal(422, "invalid_json",
                   std::string("the body is not valid JSON: ") + simdjson::error_message(err));

  simdjson::dom::array array;
  if (root.get_array().get(array) != simdjson::SUCCESS) {
    FeedbackLabel label;
    if (auto e = parse_label(root, class_names, label)) return e;
    labels.push_back(label);
    return std::nullopt;
  }
  const std::size_t n = array.size();
  if (n == 0) return refusal(422, "empty_batch", "the array holds no labels");
  if (n > kMaxFeedbackLabels)
    return refusal(422, "too_many_labels",
                   "an array may hold at most " + std::to_string(kMaxFeedbackLabels) +
                       " labels, this one holds " + std::to_string(n));
  labels.reserve(n);
  std::size_t i = 0;
  for (const simdjson::dom::element el : array) {
    FeedbackLabel label;
    if (auto e = parse_label(el, class_names, label)) {
      labels.clear();
      e->detail = "label " + std::to_string(i) + ": " + e->detail;
      e->index = i;
      return e;
    }
    labels.push_back(label);
    ++i;
  }
  return std::nullopt;
}

}  // namespace driftwatch::server
