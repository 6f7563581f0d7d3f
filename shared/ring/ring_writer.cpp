#include "shared/ring/ring_writer.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>

#include "shared/ring/ring_error.h"
#include "shared/ring/ring_mapping.h"
#include "shared/ring/segment_header.h"
#include "shared/ring/shared_words.h"

namespace driftwatch::ring {
namespace {

std::uint32_t round_up_pow2(std::uint32_t v) {
  std::uint32_t p = 2;
  while (p < v) p <<= 1;
  return p;
}

void check_options(const RingWriter::Options& o) {
  const auto bad = [](const std::string& what) {
    throw RingError(RingError::Kind::kBadArgument, "ring writer: " + what);
  };
  if (o.slot_count < 2 || o.slot_count > kMaxSlotCount) bad("slot count out of range");
  if (o.info.embedding_dim > kMaxEmbeddingDim) bad("embedding dimension too large");
  if (o.info.class_names.size() > kMaxClasses) bad("too many classes");
  for (const auto& n : o.info.class_names) {
    if (n.size() >= kClassNameBytes) bad("class name longer than 63 bytes: " + n);
  }
  if (o.info.model_name.size() >= kModelNameBytes) bad("model name longer than 63 bytes");
  if (o.info.model_version.size() >= kModelVersionBytes) bad("model version longer than 31 bytes");
}

// The generation after the one currently published under `path`, so that
// readers see a different number on every producer start; with nothing
// there, a first generation from the clock (RingWriter::first_generation).
std::uint64_t next_generation(const std::string& path) {
  try {
    const RingMapping old = RingMapping::open_read_only(path);
    return read_segment_header(old, path).generation + 1;
  } catch (const RingError&) {
    return RingWriter::first_generation();  // nothing usable there: a first start
  }
}

std::string staging_path(const std::string& path) {
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  return dir + "." + base + ".new." + std::to_string(::getpid());
}

void fill_header(std::uint8_t* base, const SegmentInfo& info, std::uint32_t header_bytes) {
  auto* h = new (base) SegmentHeader{};
  h->magic = kMagic;
  h->version = kFormatVersion;
  h->header_bytes = header_bytes;
  h->slot_bytes = info.slot_bytes;
  h->slot_count = info.slot_count;
  h->embedding_dim = info.embedding_dim;
  h->class_count = static_cast<std::uint32_t>(info.class_names.size());
  h->class_table_offset = kClassTableOffset;
  h->class_name_bytes = kClassNameBytes;
  h->generation = info.generation;
  h->start_time_ns = info.start_time_ns;
  h->producer_pid = info.producer_pid;
  h->top_k_capacity = kMaxTopK;
  std::memcpy(h->model_name, info.model_name.data(), info.model_name.size());
  std::memcpy(h->model_version, info.model_version.data(), info.model_version.size());
  h->counters_offset = info.counters_offset;
  h->counter_shard_count = info.counter_shard_count;
  h->counter_shard_bytes = kCounterShardBytes;
  h->counter_handlers = kCounterHandlers;
  h->counter_methods = kCounterMethods;
  h->counter_status_groups = kCounterStatusGroups;
  h->counter_latency_buckets = kLatencyBuckets;
  // Nobody else sees the segment before it is renamed into place.
  h->next_sequence.store(0, std::memory_order_relaxed);
  auto* table = reinterpret_cast<char*>(base + kClassTableOffset);
  for (std::size_t i = 0; i < info.class_names.size(); ++i) {
    std::memcpy(table + i * kClassNameBytes, info.class_names[i].data(),
                info.class_names[i].size());
  }
  // The counters start at zero: the file is fresh (ftruncate zero-fills),
  // and nobody maps it yet.
}

}  // namespace

RingWriter::RingWriter(Options options) {
  check_options(options);
  path_ = segment_path(options.name);
  info_ = std::move(options.info);
  info_.slot_count = round_up_pow2(options.slot_count);
  info_.slot_bytes = static_cast<std::uint32_t>(slot_bytes_for(info_.embedding_dim));
  info_.generation = next_generation(path_);
  info_.producer_pid = static_cast<std::uint32_t>(::getpid());
  info_.start_time_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  const auto class_count = static_cast<std::uint32_t>(info_.class_names.size());
  const auto header_bytes = static_cast<std::uint32_t>(header_bytes_for(class_count));
  const auto counters_offset = static_cast<std::uint32_t>(counters_offset_for(class_count));
  info_.counters_offset = counters_offset;
  info_.counter_shard_count = kCounterShards;
  const std::size_t total = header_bytes + std::size_t{info_.slot_count} * info_.slot_bytes;

  // Build the whole segment under a private name, then rename it into place:
  // a reader opening the name sees either the old segment or a complete new one.
  const std::string staging = staging_path(path_);
  ::unlink(staging.c_str());
  std::unique_ptr<RingMapping> mapping;
  try {
    mapping = std::make_unique<RingMapping>(RingMapping::create(staging, total, options.mode));
  } catch (const RingError& e) {
    if (e.kind() != RingError::Kind::kNoSpace) throw;
    throw RingError(RingError::Kind::kNoSpace,
                    "not enough space for ring " + path_ + ": " + std::to_string(info_.slot_count) +
                        " slots of " + std::to_string(info_.slot_bytes) + " bytes need " +
                        e.what() + "; lower --ring-bytes/--ring-slots or enlarge it " +
                        "(compose shm_size, Kubernetes emptyDir sizeLimit)");
  }
  fill_header(mapping->data(), info_, header_bytes);
  if (std::rename(staging.c_str(), path_.c_str()) != 0) {
    ::unlink(staging.c_str());
    throw RingError(RingError::Kind::kSystem,
                    "cannot publish ring at " + path_ + ": " + std::strerror(errno));
  }
  slots_ = mapping->data() + header_bytes;
  next_sequence_ = &reinterpret_cast<SegmentHeader*>(mapping->data())->next_sequence;
  slot_mask_ = info_.slot_count - 1;
  slot_bytes_ = info_.slot_bytes;
  counters_ = RequestCounters(
      reinterpret_cast<RequestCounterShard*>(mapping->data() + counters_offset), kCounterShards);
  mapping_ = std::move(mapping);
}

RingWriter::~RingWriter() = default;

std::uint64_t RingWriter::first_generation() {
  // Microseconds, not seconds: the generations of restarts (previous + 1)
  // then stay below the clock, so a fresh start a second later cannot take
  // one of them again.
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  return micros > 0 ? static_cast<std::uint64_t>(micros) : 1;
}

std::size_t RingWriter::segment_bytes(std::uint32_t slot_count, std::uint32_t embedding_dim,
                                      std::size_t class_count) {
  return header_bytes_for(static_cast<std::uint32_t>(class_count)) +
         std::size_t{slot_count} * slot_bytes_for(embedding_dim);
}

std::uint32_t RingWriter::slots_for_bytes(std::uint64_t budget_bytes, std::uint32_t embedding_dim,
                                          std::size_t class_count) {
  std::uint32_t slots = 2;
  while (slots < kMaxSlotCount &&
         segment_bytes(slots * 2, embedding_dim, class_count) <= budget_bytes)
    slots *= 2;
  return slots;
}

template <typename MidWrite>
bool RingWriter::write_slot(const RecordFields& fields, const float* embedding,
                            std::size_t embedding_count, const MidWrite& mid_write) noexcept {
  // Claims a sequence number; it orders nothing, so relaxed. Readers only
  // use it to learn how far writers got.
  const std::uint64_t seq = next_sequence_->fetch_add(1, std::memory_order_relaxed);
  std::uint8_t* slot = slots_ + (seq & slot_mask_) * slot_bytes_;
  auto* state = reinterpret_cast<std::atomic<std::uint64_t>*>(slot + kSlotStateOffset);

  // The slot may be taken only from a finished older record (or never used).
  // A writer still in it (one lap behind, stalled or dead) keeps it: this
  // record is given up rather than waited for or mixed with that one.
  std::uint64_t observed = state->load(std::memory_order_relaxed);
  if (observed != 0 && (is_writing(observed) || state_sequence(observed) >= seq)) {
    given_up_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  // Exclusive claim: of all writers mapping to this slot, one CAS wins.
  if (!state->compare_exchange_strong(observed, writing_state(seq), std::memory_order_relaxed,
                                      std::memory_order_relaxed)) {
    given_up_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  // The payload stores below are release stores (shared_words.h): a reader
  // whose copy sees any of them also sees this claim when it re-checks.
  RecordFields stored = fields;
  const bool has_embedding =
      embedding != nullptr && embedding_count == info_.embedding_dim && embedding_count > 0;
  stored.embedding_count = has_embedding ? static_cast<std::uint32_t>(embedding_count) : 0;
  detail::store_words(slot + kSlotFieldsOffset, &stored, sizeof(stored));
  mid_write(seq);
  if (has_embedding) {
    detail::store_words(slot + kSlotEmbeddingOffset, embedding, sizeof(float) * embedding_count);
  }
  // Publishes the payload: a reader that loads this state with acquire sees
  // every store above.
  state->store(committed_state(seq), std::memory_order_release);
  return true;
}

bool RingWriter::write(const RecordFields& fields, const float* embedding,
                       std::size_t embedding_count) noexcept {
  // Counted before the slot is claimed: a record given up is still a request
  // answered.
  if (fields.kind == RecordKind::kRequest) {
    counters_.add(fields.handler, fields.method, fields.http_status, fields.latency_total_ns);
  }
  return write_record(fields, embedding, embedding_count);
}

bool RingWriter::write_record(const RecordFields& fields, const float* embedding,
                              std::size_t embedding_count) noexcept {
  return write_slot(fields, embedding, embedding_count, [](std::uint64_t) {});
}

bool RingWriter::write_with_mid_write_hook(
    const RecordFields& fields, const float* embedding, std::size_t embedding_count,
    const std::function<void(std::uint64_t)>& hook) noexcept {
  return write_slot(fields, embedding, embedding_count, hook);
}

}  // namespace driftwatch::ring
