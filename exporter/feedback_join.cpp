#include "exporter/feedback_join.h"

#include <new>

namespace driftwatch::exporter {
namespace {

constexpr std::int64_t kNanosPerMilli = 1'000'000;
constexpr std::uint16_t kClassMask = 0x0FFF;  // ring::kMaxClasses = 4096 indices
static_assert(ring::kMaxClasses <= kClassMask + 1);

std::uint16_t label_bit(ring::FeedbackSource source) {
  return static_cast<std::uint16_t>(1u << (12 + feedback_source_index(source)));
}

}  // namespace

std::size_t feedback_source_index(ring::FeedbackSource source) {
  const auto s = static_cast<std::size_t>(source);
  return s < kFeedbackSources ? s : 0;
}

const char* join_outcome_label(JoinOutcome outcome) {
  switch (outcome) {
    case JoinOutcome::kJoined:
      return "joined";
    case JoinOutcome::kUnknown:
      return "unknown";
    case JoinOutcome::kExpired:
      return "expired";
    case JoinOutcome::kDuplicate:
      return "duplicate";
  }
  return "unknown";
}

FeedbackJoin::FeedbackJoin(Options options) : options_(options), epochs_(1) {
  if (options_.capacity < kMinCapacity) options_.capacity = kMinCapacity;
}

void FeedbackJoin::set_generation(std::uint64_t generation) {
  if (generation == generation_ && epoch_ != 0) return;
  generation_ = generation;
  start_epoch();
}

void FeedbackJoin::start_epoch() {
  if (epochs_.size() > UINT16_MAX) reset();
  epochs_.push_back(Epoch{generation_, 0, false});
  epoch_ = static_cast<std::uint16_t>(epochs_.size() - 1);
}

void FeedbackJoin::reset() {
  entries_.reset();
  epochs_.assign(1, Epoch{});
  generations_.clear();
}

std::uint32_t FeedbackJoin::epoch_time_ms(std::int64_t timestamp_ns) {
  Epoch* epoch = &epochs_[epoch_];
  if (!epoch->has_base) {
    epoch->base_ns = timestamp_ns;
    epoch->has_base = true;
  }
  // A wall clock stepped back puts the prediction at the base: its label
  // delay comes out a little long, never negative.
  const std::int64_t ms =
      timestamp_ns > epoch->base_ns ? (timestamp_ns - epoch->base_ns) / kNanosPerMilli : 0;
  if (ms <= static_cast<std::int64_t>(UINT32_MAX)) return static_cast<std::uint32_t>(ms);
  start_epoch();
  epoch = &epochs_[epoch_];
  epoch->base_ns = timestamp_ns;
  epoch->has_base = true;
  return 0;
}

void FeedbackJoin::add_prediction(const ring::RecordFields& p) {
  if (p.class_index < 0 || p.class_index > kClassMask) return;
  const std::uint64_t lap = p.request_id / options_.capacity;
  if (lap > UINT32_MAX) return;  // ids past capacity x 2^32: never in a real server's life
  if (epoch_ == 0) start_epoch();
  const std::uint32_t time_ms = epoch_time_ms(p.timestamp_ns);  // may empty the table
  if (!entries_) {
    // calloc: fresh pages stay unmapped until written.
    entries_.reset(static_cast<Entry*>(std::calloc(options_.capacity, sizeof(Entry))));
    if (!entries_) throw std::bad_alloc();
  }
  entries_[p.request_id % options_.capacity] =
      Entry{static_cast<std::uint32_t>(lap), time_ms, p.confidence, epoch_,
            static_cast<std::uint16_t>(p.class_index)};
  GenerationRange& range = generations_[generation_];
  if (p.request_id < range.first_id) range.first_id = p.request_id;
  if (p.request_id > range.last_id) range.last_id = p.request_id;
  range.last_epoch = epoch_;
  ++added_;
}

FeedbackJoin::Result FeedbackJoin::join(const ring::RecordFields& label) {
  const std::uint64_t generation = label.labelled_generation;
  const std::uint64_t id = label.request_id;
  const auto it = generations_.find(generation);
  if (it == generations_.end() || id < it->second.first_id || id > it->second.last_id) {
    return Result{JoinOutcome::kUnknown};
  }
  const std::uint64_t lap = id / options_.capacity;
  Entry& entry = entries_[id % options_.capacity];
  if (entry.epoch == 0 || epochs_[entry.epoch].generation != generation || entry.lap != lap) {
    return Result{missing_reason(entry, generation, lap, it->second)};
  }
  const std::uint16_t bit = label_bit(label.feedback_source);
  if (entry.class_and_labels & bit) return Result{JoinOutcome::kDuplicate};
  const std::int64_t predicted_ns =
      epochs_[entry.epoch].base_ns + static_cast<std::int64_t>(entry.time_ms) * kNanosPerMilli;
  const std::int64_t delay_ns =
      label.timestamp_ns > predicted_ns ? label.timestamp_ns - predicted_ns : 0;
  if (delay_ns > std::chrono::nanoseconds(options_.max_age).count()) {
    return Result{JoinOutcome::kExpired};
  }
  entry.class_and_labels |= bit;
  return Result{JoinOutcome::kJoined, entry.class_and_labels & kClassMask, entry.confidence,
                static_cast<double>(delay_ns) / 1e9};
}

JoinOutcome FeedbackJoin::missing_reason(const Entry& occupant, std::uint64_t generation,
                                         std::uint64_t lap, const GenerationRange& range) const {
  if (occupant.epoch == 0) return JoinOutcome::kUnknown;
  // A newer request in the slot took it (or, the table cannot tell, took the
  // slot of an id that never was a prediction); an older one or none: the
  // prediction never arrived.
  if (epochs_[occupant.epoch].generation == generation) {
    return occupant.lap > lap ? JoinOutcome::kExpired : JoinOutcome::kUnknown;
  }
  return occupant.epoch > range.last_epoch ? JoinOutcome::kExpired : JoinOutcome::kUnknown;
}

}  // namespace driftwatch::exporter
