// The ring's byte layout: the segment header, the slot layout and the record
// fields, with a static_assert on every offset. docs/ring-format.md carries the
// same diagram and the memory-ordering argument; keep the two in step.
//
//  Segment (one POSIX shm object or file, mapped MAP_SHARED):
//
//  0                      256            320                counters_offset       header_bytes
//  +----------------------+--------------+------------------+-------------------+---------------
//  | SegmentHeader fields | next_sequence| class name table | request counters  | slot 0 | slot 1 |
//  ... | (written once, then  | (atomic u64, | class_count x 64 | counter_shard_count|   slot_count
//  slots of |  read-only)          |  own line)   | bytes, NUL-padded| shards (atomic u64)|
//  slot_bytes each
//  +----------------------+--------------+------------------+-------------------+---------------
//
//  The request counters area: request_counters.h.
//
//  Slot (slot_bytes, a multiple of 64):
//
//  0        8                                  136
//  +--------+----------------------------------+------------------------+-----+
//  | state  | RecordFields (128 bytes)         | embedding: float32 x D | pad |
//  | atomic |                                  |                        |     |
//  +--------+----------------------------------+------------------------+-----+
//
//  state encodes (sequence, phase): 0 = never written;
//  2*(seq+1) = record `seq` committed; 2*(seq+1)+1 = record `seq` being written.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace driftwatch::ring {

// "DWRING01" read as a little-endian u64.
constexpr std::uint64_t kMagic = 0x31304749'4E495257ULL;
// 2: RecordFields grew from 104 to 128 bytes (record kind, feedback source,
// queue latency, the labelled request's generation); embeddings start at 136.
constexpr std::uint32_t kFormatVersion = 2;
constexpr std::uint32_t kMaxTopK = 5;
constexpr std::size_t kModelNameBytes = 64;
constexpr std::size_t kModelVersionBytes = 32;
constexpr std::size_t kClassNameBytes = 64;
constexpr std::uint32_t kMaxClasses = 4096;
constexpr std::size_t kHeaderAlign = 4096;
constexpr std::size_t kSlotAlign = 64;
constexpr std::uint32_t kMaxEmbeddingDim = 65536;
constexpr std::uint64_t kMaxSlotCount = 1ULL << 24;

// The request counters area (request_counters.h): its dimensions, which the
// header repeats so that a reader can check them, and its size.
constexpr std::size_t kCounterHandlers = 8;      // Handler values 0..7; others count as 0
constexpr std::size_t kCounterMethods = 8;       // Method values 0..7; others count as 0
constexpr std::size_t kCounterStatusGroups = 6;  // 1xx, 2xx, 3xx, 4xx, 5xx, other
constexpr std::size_t kLatencyBounds = 23;
constexpr std::size_t kLatencyBuckets = kLatencyBounds + 1;  // the last one is +Inf
constexpr std::size_t kCounterShardBytes =
    8 * (kCounterHandlers * kCounterMethods * (kCounterStatusGroups + kLatencyBuckets + 1));
// How many shards the writer lays out; a reader takes the header's count.
constexpr std::uint32_t kCounterShards = 16;
constexpr std::uint32_t kMaxCounterShards = 256;
constexpr std::size_t kCountersAlign = 64;

// Which route a request hit; the exporter turns it into the `handler` label.
// route_table.h maps paths to these and back (the one route table).
enum class Handler : std::uint8_t {
  kNone = 0,  // unknown path: label "none"
  kPredict = 1,
  kHealthz = 2,
  kReadyz = 3,
  kModel = 4,
  kIndex = 5,     // GET /, the upload page
  kFeedback = 6,  // POST /feedback, ground-truth labels
};
// The route's path ("/predict"), "none" for kNone or an unknown byte.
const char* handler_label(Handler h);

enum class Method : std::uint8_t {
  kOther = 0,
  kGet = 1,
  kPost = 2,
  kHead = 3,
  kPut = 4,
  kDelete = 5,
  kOptions = 6,
  kPatch = 7,
};
// "GET", "POST", ...; "OTHER" for kOther or an unknown byte.
const char* method_label(Method m);

// What a record is. Readers act on the kinds they know and skip (and count)
// the others, so a newer producer can add kinds without breaking them.
enum class RecordKind : std::uint8_t {
  kRequest = 0,   // one HTTP request, as the server answered it
  kFeedback = 1,  // one ground-truth label for an earlier prediction
};
// "request", "feedback"; "unknown" for any other byte.
const char* record_kind_label(RecordKind k);

// Who produced a feedback label (POST /feedback "source").
enum class FeedbackSource : std::uint8_t {
  kOther = 0,
  kRandom = 1,     // a random sample of traffic, labelled: unbiased accuracy
  kFlagged = 2,    // a user flagged the prediction as wrong
  kCorrected = 3,  // a user gave the right label
};
// "other", "random", "flagged", "corrected"; "other" for an unknown byte.
const char* feedback_source_label(FeedbackSource s);

// One request, as the server saw it (kind kRequest), or one label for an
// earlier prediction (kind kFeedback: request_id and labelled_generation name
// the prediction, class_index is the true class, timestamp_ns when the label
// arrived; the latencies, status, top-k and embedding are unused). Plain data: the writer copies it
// into a slot, the reader copies it out. Times are nanoseconds; timestamp_ns is wall clock (for
// display), the latencies come from a monotonic clock.
struct RecordFields {
  std::int64_t timestamp_ns = 0;
  std::uint64_t request_id = 0;
  std::uint64_t latency_total_ns = 0;
  std::uint64_t latency_preprocess_ns = 0;  // body parse + base64 + decode + resize/normalize
  std::uint64_t latency_inference_ns = 0;   // model forward (+ embed)
  std::uint32_t body_bytes = 0;
  std::uint16_t http_status = 0;
  Handler handler = Handler::kNone;
  Method method = Method::kOther;
  std::int32_t class_index = -1;  // -1 when the request failed
  float confidence = 0.0f;        // top-1 softmax probability
  std::int32_t top_k_class[kMaxTopK] = {-1, -1, -1, -1, -1};
  float top_k_prob[kMaxTopK] = {0, 0, 0, 0, 0};
  std::uint32_t top_k_count = 0;
  std::uint32_t embedding_count = 0;  // 0 (no embedding) or the header's embedding_dim
  // /predict: from submission to the inference pool to its batch's forward,
  // less its own preprocessing (queue + batching wait); docs/ring-format.md.
  std::uint64_t latency_queue_ns = 0;
  // kFeedback: the generation of the segment the labelled prediction was
  // written to (its request id is unique only within one generation).
  std::uint64_t labelled_generation = 0;
  RecordKind kind = RecordKind::kRequest;
  FeedbackSource feedback_source = FeedbackSource::kOther;  // kFeedback only
  std::uint8_t reserved[6] = {0, 0, 0, 0, 0, 0};
};

static_assert(offsetof(RecordFields, timestamp_ns) == 0);
static_assert(offsetof(RecordFields, request_id) == 8);
static_assert(offsetof(RecordFields, latency_total_ns) == 16);
static_assert(offsetof(RecordFields, latency_preprocess_ns) == 24);
static_assert(offsetof(RecordFields, latency_inference_ns) == 32);
static_assert(offsetof(RecordFields, body_bytes) == 40);
static_assert(offsetof(RecordFields, http_status) == 44);
static_assert(offsetof(RecordFields, handler) == 46);
static_assert(offsetof(RecordFields, method) == 47);
static_assert(offsetof(RecordFields, class_index) == 48);
static_assert(offsetof(RecordFields, confidence) == 52);
static_assert(offsetof(RecordFields, top_k_class) == 56);
static_assert(offsetof(RecordFields, top_k_prob) == 76);
static_assert(offsetof(RecordFields, top_k_count) == 96);
static_assert(offsetof(RecordFields, embedding_count) == 100);
static_assert(offsetof(RecordFields, latency_queue_ns) == 104);
static_assert(offsetof(RecordFields, labelled_generation) == 112);
static_assert(offsetof(RecordFields, kind) == 120);
static_assert(offsetof(RecordFields, feedback_source) == 121);
static_assert(sizeof(RecordFields) == 128);
static_assert(sizeof(RecordFields) % 8 == 0, "copied as 8-byte words");

struct SegmentHeader {
  std::uint64_t magic;
  std::uint32_t version;
  std::uint32_t header_bytes;  // offset of slot 0, a multiple of 4096
  std::uint32_t slot_bytes;
  std::uint32_t slot_count;  // a power of two
  std::uint32_t embedding_dim;
  std::uint32_t class_count;
  std::uint32_t class_table_offset;
  std::uint32_t class_name_bytes;
  std::uint64_t generation;    // changes on every producer start
  std::int64_t start_time_ns;  // wall clock of the producer's start
  std::uint32_t producer_pid;
  std::uint32_t top_k_capacity;
  char model_name[kModelNameBytes];
  char model_version[kModelVersionBytes];
  // Where the request counters area lies and its shape (request_counters.h).
  std::uint32_t counters_offset;  // a multiple of 64, after the class table
  std::uint32_t counter_shard_count;
  std::uint32_t counter_shard_bytes;
  std::uint8_t counter_handlers;
  std::uint8_t counter_methods;
  std::uint8_t counter_status_groups;
  std::uint8_t counter_latency_buckets;
  std::uint8_t reserved0[256 - 176];
  // Claimed with fetch_add by every writer: the sequence the next record
  // gets. Readers load it (acquire) only to learn how far writers got.
  alignas(64) std::atomic<std::uint64_t> next_sequence;
  std::uint8_t reserved1[64 - 8];
};

static_assert(offsetof(SegmentHeader, magic) == 0);
static_assert(offsetof(SegmentHeader, version) == 8);
static_assert(offsetof(SegmentHeader, header_bytes) == 12);
static_assert(offsetof(SegmentHeader, slot_bytes) == 16);
static_assert(offsetof(SegmentHeader, slot_count) == 20);
static_assert(offsetof(SegmentHeader, embedding_dim) == 24);
static_assert(offsetof(SegmentHeader, class_count) == 28);
static_assert(offsetof(SegmentHeader, class_table_offset) == 32);
static_assert(offsetof(SegmentHeader, class_name_bytes) == 36);
static_assert(offsetof(SegmentHeader, generation) == 40);
static_assert(offsetof(SegmentHeader, start_time_ns) == 48);
static_assert(offsetof(SegmentHeader, producer_pid) == 56);
static_assert(offsetof(SegmentHeader, top_k_capacity) == 60);
static_assert(offsetof(SegmentHeader, model_name) == 64);
static_assert(offsetof(SegmentHeader, model_version) == 128);
static_assert(offsetof(SegmentHeader, counters_offset) == 160);
static_assert(offsetof(SegmentHeader, counter_shard_count) == 164);
static_assert(offsetof(SegmentHeader, counter_shard_bytes) == 168);
static_assert(offsetof(SegmentHeader, counter_handlers) == 172);
static_assert(offsetof(SegmentHeader, counter_methods) == 173);
static_assert(offsetof(SegmentHeader, counter_status_groups) == 174);
static_assert(offsetof(SegmentHeader, counter_latency_buckets) == 175);
static_assert(offsetof(SegmentHeader, next_sequence) == 256);
static_assert(sizeof(SegmentHeader) == 320);
static_assert(std::atomic<std::uint64_t>::is_always_lock_free,
              "the slot state and sequence are shared between processes");

constexpr std::size_t kClassTableOffset = sizeof(SegmentHeader);
constexpr std::size_t kSlotStateOffset = 0;
constexpr std::size_t kSlotFieldsOffset = 8;
constexpr std::size_t kSlotEmbeddingOffset = kSlotFieldsOffset + sizeof(RecordFields);
static_assert(kSlotEmbeddingOffset == 136);

constexpr std::size_t round_up(std::size_t v, std::size_t align) {
  return (v + align - 1) / align * align;
}
constexpr std::size_t slot_bytes_for(std::uint32_t embedding_dim) {
  return round_up(kSlotEmbeddingOffset + sizeof(float) * embedding_dim, kSlotAlign);
}
// The request counters follow the class table, on a cache line of their own.
constexpr std::size_t counters_offset_for(std::uint32_t class_count) {
  return round_up(kClassTableOffset + kClassNameBytes * class_count, kCountersAlign);
}
constexpr std::size_t header_bytes_for(std::uint32_t class_count) {
  return round_up(counters_offset_for(class_count) + kCounterShards * kCounterShardBytes,
                  kHeaderAlign);
}

// Slot state words. The phase bit is the lowest one.
constexpr std::uint64_t committed_state(std::uint64_t seq) { return 2 * (seq + 1); }
constexpr std::uint64_t writing_state(std::uint64_t seq) { return 2 * (seq + 1) + 1; }
constexpr bool is_writing(std::uint64_t state) { return (state & 1) != 0; }
// The sequence a non-zero state belongs to.
constexpr std::uint64_t state_sequence(std::uint64_t state) { return state / 2 - 1; }

}  // namespace driftwatch::ring
