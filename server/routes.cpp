#include "server/routes.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <numeric>

#include "server/feedback_request.h"
#include "server/json_util.h"
#include "server/predict_request.h"
#include "server/preprocess.h"
#include "server/request_id.h"
#include "shared/ring/ring_writer.h"
#include "shared/ring/route_table.h"

namespace driftwatch::server {
namespace {

using Clock = std::chrono::steady_clock;

bool is_json_media_type(std::string_view ct) {
  const auto semi = ct.find(';');
  if (semi != std::string_view::npos) ct = ct.substr(0, semi);
  while (!ct.empty() && std::isspace(static_cast<unsigned char>(ct.front()))) ct.remove_prefix(1);
  while (!ct.empty() && std::isspace(static_cast<unsigned char>(ct.back()))) ct.remove_suffix(1);
  std::string lower(ct);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower.empty() || lower == "application/json") return true;
  return lower.size() > 5 && lower.compare(lower.size() - 5, 5, "+json") == 0 &&
         lower.rfind("application/", 0) == 0;
}

Reply method_not_allowed(const HttpRequest& req, const char* allow) {
  Reply r = error_reply(405, "method_not_allowed",
                        "method " + req.method_name + " is not allowed on " +
                            std::string(ring::target_path(req.target)) + "; use " + allow);
  r.headers.emplace_back("Allow", allow);
  return r;
}

// The /feedback forms of /predict's 415 and 503 (same codes and wording).
Reply unsupported_media_type(const HttpRequest& req) {
  return error_reply(
      415, "unsupported_media_type",
      "content type '" + req.content_type.substr(0, 100) + "' is not JSON; send application/json");
}

Reply model_loading() {
  Reply r = error_reply(503, "model_loading", "the model is still loading; retry shortly");
  r.headers.emplace_back("Retry-After", "1");
  return r;
}

// A refused /feedback body: {"error", "detail"} and, for an array, the
// "index" of the first bad label.
Reply feedback_refused(const FeedbackRequestError& e) {
  Reply r = error_reply(e.status, e.code, e.detail);
  if (e.index) {
    r.body.pop_back();  // the closing brace
    r.body += ",\"index\":" + std::to_string(*e.index) + "}";
  }
  return r;
}

std::int64_t wall_clock_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

// One /predict request in the inference pool: decoded on the worker that
// took its batch, answered from the batch's forward. Its record's latency
// parts: preprocess = its own decode + preprocessing; inference = the whole
// batch's forward; queue = the rest of the time from submission to the
// forward (waiting for a worker, for company, and for the decoding of the
// requests before it in the batch and of those after it).
class Router::PredictJob final : public ModelRequest {
 public:
  PredictJob(const Router& router, const ModelRunner& model, HttpRequest&& request,
             ReplyCallback done)
      : ModelRequest(model),
        router_(router),
        request_(std::move(request)),
        done_(std::move(done)) {}

  bool prepare(float* row) noexcept override {
    start_ = Clock::now();
    try {
      thread_local std::vector<float> input;
      if (std::optional<Reply> refused = router_.decode(request_, model(), input)) {
        prepared_ = Clock::now();
        refused->record.set_preprocess(start_, prepared_);
        refused->record.set_queue_wait(start_ - submitted());
        done_(std::move(*refused));
        return false;
      }
      std::copy(input.begin(), input.end(), row);
    } catch (const std::exception& e) {
      prepared_ = Clock::now();
      reply_failure(std::string("decoding failed: ") + e.what(), {});
      return false;
    }
    prepared_ = Clock::now();
    return true;
  }

  void finish(ModelOutput&& out, const ForwardTimes& forward) noexcept override {
    try {
      Reply r = router_.answer(request_, model(), std::move(out), submitted(), forward.end);
      record_times(r, forward);
      done_(std::move(r));
    } catch (const std::exception& e) {
      reply_failure(std::string("answering failed: ") + e.what(), forward);
    }
  }

  void fail(const std::string& what, const ForwardTimes& forward) noexcept override {
    reply_failure("inference failed: " + what, forward);
  }

 private:
  void record_times(Reply& r, const ForwardTimes& forward) const {
    r.record.set_preprocess(start_, prepared_);
    if (forward.end != Clock::time_point{}) {
      r.record.set_inference(forward.start, forward.end);
      r.record.set_queue_wait((forward.start - submitted()) - (prepared_ - start_));
    }
  }
  void reply_failure(const std::string& detail, const ForwardTimes& forward) noexcept {
    try {
      Reply r = error_reply(500, "internal_error", detail);
      record_times(r, forward);
      done_(std::move(r));
    } catch (...) {
    }
  }

  const Router& router_;
  HttpRequest request_;
  ReplyCallback done_;
  Clock::time_point start_{};
  Clock::time_point prepared_{};
};

Reply error_reply(unsigned status, std::string_view code, std::string_view detail) {
  Reply r;
  r.status = status;
  r.body = json_error(code, detail);
  return r;
}

Router::Router(RouteLimits limits, const ModelSlot& model, InferencePool& pool, RecordSink& sink,
               FeedbackAuth feedback_auth)
    : limits_(limits),
      model_(model),
      pool_(pool),
      sink_(sink),
      feedback_auth_(std::move(feedback_auth)),
      no_ring_generation_(ring::RingWriter::first_generation()) {}

void Router::handle(HttpRequest&& req, ReplyCallback done) {
  const bool get_like = req.method == ring::Method::kGet || req.method == ring::Method::kHead;
  switch (req.handler) {
    case ring::Handler::kNone: {
      std::string path(ring::target_path(req.target));
      if (path == "/metrics") {
        done(error_reply(404, "not_found",
                         "infer-server has no /metrics: drift-exporter serves them (default "
                         "http://127.0.0.1:9400/metrics), read from this server's ring"));
        return;
      }
      if (path.size() > 200) path = path.substr(0, 200) + "...";
      done(error_reply(404, "not_found",
                       "no route for " + path +
                           "; the routes are POST /predict, POST /feedback, GET /, "
                           "GET /healthz, GET /readyz and GET /model"));
      return;
    }
    case ring::Handler::kPredict:
      break;
    case ring::Handler::kHealthz:
      if (!get_like) return done(method_not_allowed(req, "GET, HEAD"));
      {
        Reply r;
        r.body = "{\"status\":\"ok\"}";
        return done(std::move(r));
      }
    case ring::Handler::kReadyz:
      if (!get_like) return done(method_not_allowed(req, "GET, HEAD"));
      return done(readiness());
    case ring::Handler::kModel:
      if (!get_like) return done(method_not_allowed(req, "GET, HEAD"));
      return done(model_info());
    case ring::Handler::kIndex:
      if (!get_like) return done(method_not_allowed(req, "GET, HEAD"));
      {
        Reply r;
        r.content_type = "text/html; charset=utf-8";
        r.body = kUploadPageHtml;
        return done(std::move(r));
      }
    case ring::Handler::kFeedback:
      return done(feedback(req));
  }

  // POST /predict
  if (req.method != ring::Method::kPost) return done(method_not_allowed(req, "POST"));
  if (req.has_content_type && !is_json_media_type(req.content_type)) {
    return done(error_reply(415, "unsupported_media_type",
                            "content type '" + req.content_type.substr(0, 100) +
                                "' is not JSON; send application/json"));
  }
  if (model_.get() == nullptr) {
    Reply r = error_reply(503, "model_loading", "the model is still loading; retry shortly");
    r.headers.emplace_back("Retry-After", "1");
    return done(std::move(r));
  }
  const bool queued =
      pool_.try_submit(std::make_unique<PredictJob>(*this, *model_.get(), std::move(req), done));
  if (!queued) {
    Reply r = error_reply(503, "overloaded",
                          "all inference threads are busy and the queue is full; retry shortly");
    r.headers.emplace_back("Retry-After", "1");
    done(std::move(r));
  }
}

std::optional<Reply> Router::decode(const HttpRequest& req, const ModelRunner& model,
                                    std::vector<float>& input) const {
  const DecodeOptions options =
      limits_.jpeg_dct_scaling ? dct_scaling_for(model.config()) : DecodeOptions{};
  if (auto refused =
          decode_predict_body(req.body, limits_.max_pixels, model.config(), input, options))
    return error_reply(refused->status, refused->code, refused->detail);
  return std::nullopt;
}

Reply Router::answer(const HttpRequest& req, const ModelRunner& model, ModelOutput&& out,
                     Clock::time_point started, Clock::time_point t2) const {
  // A model that overflows on an odd input answers NaN or infinity: that is
  // the server's failure (500), recorded as such (no class, no embedding),
  // never a "prediction" that would blind the drift detector.
  const auto finite = [](const std::vector<float>& v) {
    return std::all_of(v.begin(), v.end(), [](float x) { return std::isfinite(x); });
  };
  if (!finite(out.probabilities) || !finite(out.embedding))
    return error_reply(500, "non_finite_output",
                       "the model returned NaN or infinite values for this input");

  // Top-k, highest probability first (lower index on ties).
  const std::vector<float>& p = out.probabilities;
  const std::size_t k = std::min<std::size_t>(ring::kMaxTopK, p.size());
  std::vector<std::uint32_t> order(p.size());
  std::iota(order.begin(), order.end(), 0u);
  std::partial_sort(
      order.begin(), order.begin() + k, order.end(),
      [&](std::uint32_t a, std::uint32_t b) { return p[a] > p[b] || (p[a] == p[b] && a < b); });

  const auto& names = model.config().class_names;
  Reply r;
  r.record.set_prediction(p, order, k, std::move(out.embedding));

  std::string& b = r.body;
  b.reserve(256 + 64 * k);
  b += "{\"prediction\":";
  append_json_string(b, names[order[0]]);
  b += ",\"probability\":";
  append_json_number(b, p[order[0]]);
  b += ",\"class_index\":";
  b += std::to_string(order[0]);
  b += ",\"top_k\":[";
  for (std::size_t i = 0; i < k; ++i) {
    if (i) b += ',';
    b += "{\"class_name\":";
    append_json_string(b, names[order[i]]);
    b += ",\"class_index\":";
    b += std::to_string(order[i]);
    b += ",\"probability\":";
    append_json_number(b, p[order[i]]);
    b += '}';
  }
  b += "],\"request_id\":\"";
  append_request_id(b, PredictionKey{request_id_generation(), req.request_id});
  b += '"';
  b += ",\"latency_ms\":";
  const auto since = req.received == Clock::time_point{} ? started : req.received;
  append_json_number(
      b, std::round(std::chrono::duration<double, std::micro>(t2 - since).count()) / 1e3);
  b += '}';
  return r;
}

std::uint64_t Router::request_id_generation() const {
  const ring::RingWriter* w = sink_.writer();
  return w != nullptr ? w->generation() : no_ring_generation_;
}

Reply Router::feedback(const HttpRequest& req) const {
  if (req.method != ring::Method::kPost) return method_not_allowed(req, "POST");
  if (!feedback_auth_.admits(req.authorization)) {
    Reply r = error_reply(401, "unauthorized",
                          req.authorization.empty()
                              ? "POST /feedback needs \"Authorization: Bearer <token>\""
                              : "the bearer token is not the one this server was given");
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"driftwatch feedback\"");
    return r;
  }
  if (req.has_content_type && !is_json_media_type(req.content_type))
    return unsupported_media_type(req);
  const ModelRunner* model = model_.get();
  if (model == nullptr) return model_loading();
  thread_local std::vector<FeedbackLabel> labels;
  if (auto refused = parse_feedback_body(req.body, model->config().class_names, labels))
    return feedback_refused(*refused);
  const std::int64_t arrived_ns = wall_clock_ns();
  for (const FeedbackLabel& label : labels) {
    sink_.write(feedback_record(label, arrived_ns), nullptr, 0);
  }
  Reply r;
  r.status = 202;
  r.body = "{\"accepted\":" + std::to_string(labels.size()) + "}";
  return r;
}

Reply Router::readiness() const {
  if (draining_.load(std::memory_order_relaxed))
    return error_reply(503, "draining", "shutting down: finishing requests, take no new ones");
  if (model_.get() == nullptr) {
    Reply r = error_reply(503, "model_loading", "the model is still loading");
    r.headers.emplace_back("Retry-After", "1");
    return r;
  }
  if (!sink_.ready()) return error_reply(503, "ring_not_open", "the ring is not open yet");
  Reply r;
  r.body = "{\"status\":\"ready\"}";
  return r;
}

Reply Router::model_info() const {
  const ModelRunner* m = model_.get();
  if (m == nullptr) {
    Reply r = error_reply(503, "model_loading", "the model is still loading");
    r.headers.emplace_back("Retry-After", "1");
    return r;
  }
  const ModelConfig& c = m->config();
  Reply r;
  std::string& b = r.body;
  b = "{\"name\":";
  append_json_string(b, c.name);
  b += ",\"version\":";
  append_json_string(b, c.version);
  b += ",\"class_names\":[";
  for (std::size_t i = 0; i < c.class_names.size(); ++i) {
    if (i) b += ',';
    append_json_string(b, c.class_names[i]);
  }
  b += "],\"num_classes\":" + std::to_string(c.class_names.size());
  b += ",\"input\":{\"channels\":" + std::to_string(c.channels) +
       ",\"height\":" + std::to_string(c.height) + ",\"width\":" + std::to_string(c.width) + "}";
  b += ",\"input_shape\":[1," + std::to_string(c.channels) + "," + std::to_string(c.height) + "," +
       std::to_string(c.width) + "]";
  b += ",\"embedding_dim\":" + std::to_string(m->embedding_dim());
  b += ",\"embedding_source\":";
  append_json_string(b, embedding_source_name(m->embedding_source()));
  // Two passes cost a second backbone run per request: say so to operators.
  b += ",\"backbone_passes\":" + std::to_string(backbone_passes(m->embedding_source()));
  if (backbone_passes(m->embedding_source()) > 1) {
    b += ",\"extra_pass_ms\":";
    append_json_number(b, std::round(m->extra_pass_ms() * 1000.0) / 1000.0);
  }
  b += ",\"optimized\":";
  b += m->optimized() ? "true" : "false";
  b += ",\"ring\":";
  if (const ring::RingWriter* w = sink_.writer()) {
    b += "{\"name\":";
    append_json_string(b, w->path());
    b += ",\"generation\":" + std::to_string(w->generation()) + "}";
  } else {
    b += "null";
  }
  b += '}';
  return r;
}

}  // namespace driftwatch::server
