#include "server/request_record.h"

#include <algorithm>
#include <utility>

namespace driftwatch::server {
namespace {

std::uint64_t ns_between(RequestRecord::Clock::time_point a, RequestRecord::Clock::time_point b) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count());
}

}  // namespace

void RequestRecord::set_preprocess(Clock::time_point start, Clock::time_point end) {
  fields_.latency_preprocess_ns = ns_between(start, end);
}

void RequestRecord::set_inference(Clock::time_point start, Clock::time_point end) {
  fields_.latency_inference_ns = ns_between(start, end);
}

void RequestRecord::set_queue_wait(Clock::duration waited) {
  fields_.latency_queue_ns = static_cast<std::uint64_t>(std::max<std::int64_t>(
      0, std::chrono::duration_cast<std::chrono::nanoseconds>(waited).count()));
}

void RequestRecord::set_prediction(const std::vector<float>& probabilities,
                                   const std::vector<std::uint32_t>& order, std::size_t k,
                                   std::vector<float>&& embedding) {
  k = std::min<std::size_t>({k, ring::kMaxTopK, order.size()});
  if (k == 0) return;
  fields_.class_index = static_cast<std::int32_t>(order[0]);
  fields_.confidence = probabilities[order[0]];
  fields_.top_k_count = static_cast<std::uint32_t>(k);
  for (std::size_t i = 0; i < k; ++i) {
    fields_.top_k_class[i] = static_cast<std::int32_t>(order[i]);
    fields_.top_k_prob[i] = probabilities[order[i]];
  }
  embedding_ = std::move(embedding);
}

void RequestRecord::set_request(ring::Method method, ring::Handler handler,
                                std::uint64_t request_id, std::uint32_t body_bytes) {
  fields_.method = method;
  fields_.handler = handler;
  fields_.request_id = request_id;
  fields_.body_bytes = body_bytes;
}

void RequestRecord::finish(unsigned status, Clock::time_point started, Clock::time_point now) {
  fields_.timestamp_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  fields_.latency_total_ns = ns_between(started, now);
  fields_.http_status = static_cast<std::uint16_t>(status);
  if (status >= 300) fields_.class_index = -1;
}

}  // namespace driftwatch::server
