// FeedbackJoin: the bounded table of recent predictions that feedback labels
// are joined to, keyed by (generation, request id), part of the feedback
// stage (feedback_stage.h).
//
// infer-server numbers every request of one process (one ring generation)
// 1, 2, 3, ... (/healthz and the pages take numbers too), so the table is a
// direct-mapped array: request id r lives in slot r % capacity, and the slot
// keeps r / capacity (its "lap") and the generation (as an epoch number) to
// tell r from r + capacity. A newer request in the same slot replaces the
// older one: the table holds the latest `capacity` request ids, whatever
// order the records arrive in.
//
//   Entry (16 bytes):  lap u32 | time_ms u32 | confidence f32 | epoch u16 |
//                      class (12 bits) + labelled sources (4 bits) u16
//
// An epoch is one generation's run of predictions whose times fit in 32 bits
// of milliseconds after the epoch's base (49.7 days); a generation gets a new
// epoch when they do not. After 65,535 epochs (producer restarts) the table
// starts again empty. Memory: 16 bytes x capacity, allocated at the first
// prediction with calloc, so pages become resident only as slots are
// written (an idle exporter holds none of it); the default 4,500,000 slots
// (25 h at 50 req/s) are 72 MB when full.
//
// A label that cannot be joined is one of:
//   unknown    the prediction was never in the table: a generation or id this
//              exporter never saw (before it started, a lapped record, a
//              failed request, a request that was not a prediction);
//   expired    it was, and is gone: a newer request took its slot (size), or
//              the label came more than max_age after it (age); an id that
//              was never a prediction but whose slot a newer one has taken
//              counts here too (the table cannot tell the two apart);
//   duplicate  the prediction already has a label from the same source
//              (one label per prediction and source is joined; sources are
//              told apart, so a flagged prediction may also be sampled).
//
// Thread contract: one thread (the pipeline's) calls every member.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <unordered_map>
#include <vector>

#include "shared/ring/ring_layout.h"

namespace driftwatch::exporter {

// Feedback sources by index 0..3 (ring::FeedbackSource values; a byte past
// them counts as kOther, as feedback_source_label() prints it).
constexpr std::size_t kFeedbackSources = 4;
std::size_t feedback_source_index(ring::FeedbackSource source);

enum class JoinOutcome { kJoined, kUnknown, kExpired, kDuplicate };
// "joined", "unknown", "expired", "duplicate".
const char* join_outcome_label(JoinOutcome outcome);

class FeedbackJoin {
 public:
  struct Options {
    std::size_t capacity = 4'500'000;
    std::chrono::seconds max_age{7 * 24 * 3600};
  };

  struct Result {
    JoinOutcome outcome = JoinOutcome::kUnknown;
    // kJoined only: the prediction.
    std::int32_t predicted_class = -1;
    float confidence = 0.0f;
    double delay_seconds = 0.0;  // label time - prediction time, >= 0
  };

  static constexpr std::size_t kMinCapacity = 1024;
  static constexpr std::size_t kEntryBytes = 16;

  explicit FeedbackJoin(Options options);

  // The predictions that follow belong to this generation.
  void set_generation(std::uint64_t generation);
  // A successful prediction (kRequest, class_index >= 0) of the current generation.
  void add_prediction(const ring::RecordFields& prediction);
  // A kFeedback record; marks the prediction labelled for its source when joined.
  Result join(const ring::RecordFields& label);

  std::size_t capacity() const { return options_.capacity; }
  std::chrono::seconds max_age() const { return options_.max_age; }
  // Bytes reserved for the table (0 until the first prediction); resident
  // memory is at most this.
  std::size_t allocated_bytes() const { return entries_ ? options_.capacity * kEntryBytes : 0; }
  std::uint64_t predictions_added() const { return added_; }
  // Whether a prediction of `generation` was ever added (since the last reset).
  bool knows_generation(std::uint64_t generation) const {
    return generations_.count(generation) != 0;
  }

 private:
  struct Entry {
    std::uint32_t lap;
    std::uint32_t time_ms;  // after the epoch's base
    float confidence;
    std::uint16_t epoch;             // 0: empty slot
    std::uint16_t class_and_labels;  // class index | (1 << (12 + source)) per labelled source
  };
  static_assert(sizeof(Entry) == kEntryBytes);

  struct Epoch {
    std::uint64_t generation = 0;
    std::int64_t base_ns = 0;
    bool has_base = false;
  };
  // The request ids and epochs of one generation seen by this exporter.
  struct GenerationRange {
    std::uint64_t first_id = UINT64_MAX;
    std::uint64_t last_id = 0;
    std::uint16_t last_epoch = 0;
  };
  struct FreeDeleter {
    void operator()(Entry* p) const { std::free(p); }
  };

  void start_epoch();
  // Empties the table (epoch numbers ran out); the current generation goes on.
  void reset();
  // Milliseconds of `timestamp_ns` after the current epoch's base, starting
  // a new epoch when they do not fit.
  std::uint32_t epoch_time_ms(std::int64_t timestamp_ns);
  // Why (generation, id), not in its slot, is not there.
  JoinOutcome missing_reason(const Entry& occupant, std::uint64_t generation, std::uint64_t lap,
                             const GenerationRange& range) const;

  Options options_;
  std::unique_ptr<Entry[], FreeDeleter> entries_;
  std::vector<Epoch> epochs_;  // [0] unused: epoch 0 marks an empty slot
  std::unordered_map<std::uint64_t, GenerationRange> generations_;
  std::uint64_t generation_ = 0;
  std::uint16_t epoch_ = 0;  // the current generation's epoch; 0: none yet
  std::uint64_t added_ = 0;
};

}  // namespace driftwatch::exporter
