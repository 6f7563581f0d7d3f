// The untrusted part of POST /feedback: the JSON body, one label object or an
// array of up to kMaxFeedbackLabels of them, checked against the model's
// classes. No sockets, no ring: the route and the libFuzzer target
// (tests/fuzz/fuzz_feedback_request.cpp) run exactly this code.
//
// A label: {"request_id": "<from a /predict answer>", "label": "<class name>"}
// or "class_index": k instead of "label", and an optional "source" (random,
// flagged, corrected, other; default other). Other fields are ignored.
//
// An array is all or nothing: every element is checked first, and the first
// bad one refuses the whole body (its index is in the error), so a labelling
// tool never has to work out which half of a batch was taken.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/request_id.h"
#include "shared/ring/ring_layout.h"

namespace driftwatch::server {

inline constexpr std::size_t kMaxFeedbackLabels = 1000;
// 1000 labels of ~100 bytes each fit with room to spare.
inline constexpr std::size_t kMaxFeedbackBodyBytes = 1u << 20;

struct FeedbackLabel {
  PredictionKey prediction;
  std::int32_t class_index = -1;  // the true class
  ring::FeedbackSource source = ring::FeedbackSource::kOther;
};

// Why a body was refused: the HTTP status, a stable error code for the JSON
// answer ("unknown_label", ...), a readable detail and, for an array, the
// index of the first bad element.
struct FeedbackRequestError {
  unsigned status = 422;
  std::string code;
  std::string detail;
  std::optional<std::size_t> index;
};

// Fills `labels` (cleared first) or returns why the body is refused.
// Thread-safe: the JSON parser is per thread.
std::optional<FeedbackRequestError> parse_feedback_body(std::string_view body,
                                                        const std::vector<std::string>& class_names,
                                                        std::vector<FeedbackLabel>& labels);

// The ring record of one accepted label (kind kFeedback), arrived at
// `arrived_ns` (wall clock, Unix ns).
ring::RecordFields feedback_record(const FeedbackLabel& label, std::int64_t arrived_ns);

// The source a "source" string names, or nullopt.
std::optional<ring::FeedbackSource> feedback_source_from_name(std::string_view name);

}  // namespace driftwatch::server
