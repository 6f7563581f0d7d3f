// RequestRecord: the ring record of one request, and the one place its fields
// are filled. Each part comes from where it is known: a route adds what it
// measured (the parts of the latency) and, for a prediction, the class, the
// top-k and the embedding; the connection adds the request line and, as it
// writes the reply, the status and the times. The ring writer adds only the
// slot's framing (sequence and stored embedding count).
//
// Thread contract: a record travels with its request's Reply, used by one
// thread at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "shared/ring/ring_layout.h"

namespace driftwatch::server {

class RequestRecord {
 public:
  using Clock = std::chrono::steady_clock;

  // The parts of the latency /predict measured: body parse + decode +
  // preprocessing, and the model call (the whole batch's forward).
  void set_preprocess(Clock::time_point start, Clock::time_point end);
  void set_inference(Clock::time_point start, Clock::time_point end);
  // How long the request waited between being handed to the inference pool
  // and its model call, less its own preprocessing (docs/ring-format.md).
  void set_queue_wait(Clock::duration waited);
  // A prediction: `order` lists class indices by falling probability, the
  // first `k` of them become the top-k and the first is the class.
  void set_prediction(const std::vector<float>& probabilities,
                      const std::vector<std::uint32_t>& order, std::size_t k,
                      std::vector<float>&& embedding);
  // What the request line said (Handler::kNone and Method::kOther when the
  // request was not read far enough to know).
  void set_request(ring::Method method, ring::Handler handler, std::uint64_t request_id,
                   std::uint32_t body_bytes);
  // The reply: its status, the wall clock and the total latency since
  // `started`. A reply that is not a success carries no class.
  void finish(unsigned status, Clock::time_point started, Clock::time_point now);

  const ring::RecordFields& fields() const { return fields_; }
  const std::vector<float>& embedding() const { return embedding_; }

 private:
  ring::RecordFields fields_;
  std::vector<float> embedding_;
};

}  // namespace driftwatch::server
