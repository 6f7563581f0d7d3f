// Labels of the record kinds and feedback sources (ring_layout.h).
#include "shared/ring/ring_layout.h"

namespace driftwatch::ring {

const char* record_kind_label(RecordKind k) {
  switch (k) {
    case RecordKind::kRequest:
      return "request";
    case RecordKind::kFeedback:
      return "feedback";
  }
  return "unknown";
}

const char* feedback_source_label(FeedbackSource s) {
  switch (s) {
    case FeedbackSource::kRandom:
      return "random";
    case FeedbackSource::kFlagged:
      return "flagged";
    case FeedbackSource::kCorrected:
      return "corrected";
    case FeedbackSource::kOther:
      break;
  }
  return "other";
}

}  // namespace driftwatch::ring
