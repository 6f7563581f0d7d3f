// The route handlers: a request in, a reply plus the route's part of its ring
// record out (RequestRecord). They never see a socket (the connection class
// does the HTTP and looks the route up), so they can be tested without a
// network.
//
// POST /predict runs on the inference pool: body parse, base64, image decode,
// preprocessing and the model, so a slow model or a large image never stalls
// an I/O thread. Everything else answers inline, POST /feedback included (a
// small JSON parse and a ring write per label: it never queues behind, or
// takes a worker from, /predict). The pool may batch /predict requests
// (--max-batch): each is decoded on its own, then shares one forward with the
// others of its batch and gets its own answer and record.
//
// Thread contract: handle() from any I/O thread; the callback runs exactly
// once, on an I/O thread or on an inference thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/feedback_auth.h"
#include "server/inference_pool.h"
#include "server/model_runner.h"
#include "server/record_sink.h"
#include "server/request_record.h"
#include "shared/ring/ring_layout.h"

namespace driftwatch::server {

struct HttpRequest {
  ring::Method method = ring::Method::kOther;
  std::string method_name;  // as sent, for messages
  std::string target;       // path and query
  // The route of `target`, looked up once by the connection
  // (shared/ring/route_table.h); handle() dispatches on it.
  ring::Handler handler = ring::Handler::kNone;
  bool has_content_type = false;
  std::string content_type;
  std::string authorization;  // the Authorization header's value, "" when absent
  std::string body;
  std::uint64_t request_id = 0;
  // When the request's header was complete (monotonic).
  std::chrono::steady_clock::time_point received{};
};

struct Reply {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool close = false;  // close the connection after this reply
  // What the route adds to the request's ring record (latency parts, and a
  // prediction's class, top-k and embedding); the connection adds the rest.
  RequestRecord record;
};

using ReplyCallback = std::function<void(Reply&&)>;

// The model, once loaded. Set once by the loader thread, read by everyone.
class ModelSlot {
 public:
  const ModelRunner* get() const { return ptr_.load(std::memory_order_acquire); }
  void set(std::unique_ptr<ModelRunner> model) {
    owner_ = std::move(model);
    ptr_.store(owner_.get(), std::memory_order_release);  // pairs with get()
  }

 private:
  std::unique_ptr<ModelRunner> owner_;
  std::atomic<const ModelRunner*> ptr_{nullptr};
};

// The limits the routes apply; no defaults here, ServerOptions holds them.
struct RouteLimits {
  std::uint64_t max_pixels;
  // Decode large JPEGs at 1/2..1/8 scale in the DCT domain (--jpeg-dct-scaling);
  // off: the exact PIL-compatible path.
  bool jpeg_dct_scaling;
};

// An error reply: JSON {"error", "detail"}; its record gets no class.
Reply error_reply(unsigned status, std::string_view code, std::string_view detail);

class Router {
 public:
  // `feedback_auth`: who may POST /feedback (default: anyone).
  Router(RouteLimits limits, const ModelSlot& model, InferencePool& pool, RecordSink& sink,
         FeedbackAuth feedback_auth = {});

  void handle(HttpRequest&& request, ReplyCallback done);

  // From now on /readyz answers 503 "draining"; everything else is served as
  // before. Any thread may call it.
  void start_draining() { draining_.store(true, std::memory_order_relaxed); }

 private:
  class PredictJob;
  using Clock = std::chrono::steady_clock;

  Reply model_info() const;
  Reply readiness() const;
  // POST /feedback: each accepted label becomes one feedback record.
  Reply feedback(const HttpRequest& request) const;
  // The generation a /predict answer's request_id names: the ring's, or with
  // --no-ring the one taken at start.
  std::uint64_t request_id_generation() const;
  // /predict in two halves, for PredictJob (the inference pool's request): the
  // body decoded and preprocessed into `input`, or the error reply; then the
  // answer to the model's output (`started`: when the server took the
  // request up, for latency_ms when it has no `received` time; `done`: when
  // the forward ended).
  std::optional<Reply> decode(const HttpRequest& request, const ModelRunner& model,
                              std::vector<float>& input) const;
  Reply answer(const HttpRequest& request, const ModelRunner& model, ModelOutput&& out,
               Clock::time_point started, Clock::time_point done) const;

  RouteLimits limits_;
  const ModelSlot& model_;
  InferencePool& pool_;
  RecordSink& sink_;
  const FeedbackAuth feedback_auth_;
  const std::uint64_t no_ring_generation_;
  std::atomic<bool> draining_{false};
};

// The upload page served at GET /.
extern const char* const kUploadPageHtml;

}  // namespace driftwatch::server
