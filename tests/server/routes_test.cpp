// The route handlers without a network: a request in, a reply and its record
// out. Which handler a record names is the connection's one route-table
// lookup (tests/shared/ring/route_table_test.cpp); the routes add the rest.
#include "server/routes.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <future>
#include <random>

#include "server/preprocess.h"
#include "server/request_id.h"
#include "shared/common/base64.h"
#include "shared/ring/ring_writer.h"
#include "shared/ring/route_table.h"
#include "tests/server/support/test_images.h"
#include "tests/server/support/test_models.h"

using namespace driftwatch;
using namespace driftwatch::server;
using driftwatch::common::base64_encode;

namespace {

class RoutesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new dwtest::TempDir("routes");
    dir_ = new std::string(tmp_->path());
    dwtest::write_test_model(*dir_ + "/m.pt", *dir_ + "/m.json", dwtest::ModelKind::kEmbedHead);
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete tmp_;
  }

  void load_model() {
    model_.set(std::make_unique<ModelRunner>(
        ModelRunner::Options{*dir_ + "/m.pt", load_model_config(*dir_ + "/m.json"), 1, true, 2}));
  }

  Reply call(const std::string& method, const std::string& target, const std::string& body = "",
             const char* content_type = "application/json") {
    HttpRequest req;
    req.method = ring::method_from_name(method);
    req.method_name = method;
    req.target = target;
    req.handler = ring::handler_for_target(target);  // what the connection looks up
    if (content_type) {
      req.has_content_type = true;
      req.content_type = content_type;
    }
    req.body = body;
    req.request_id = 42;
    std::promise<Reply> p;
    auto f = p.get_future();
    router_.handle(std::move(req), [&p](Reply&& r) { p.set_value(std::move(r)); });
    EXPECT_EQ(f.wait_for(std::chrono::seconds(30)), std::future_status::ready);
    return f.get();
  }

  static std::string error_code(const Reply& r) {
    simdjson::dom::parser parser;
    simdjson::padded_string s(r.body);
    std::string_view code;
    if (parser.parse(s)["error"].get_string().get(code) != simdjson::SUCCESS)
      return "<no error field>";
    return std::string(code);
  }

  static dwtest::TempDir* tmp_;
  static std::string* dir_;
  ModelSlot model_;
  InferencePool pool_{1, 4};
  RecordSink sink_{false};
  Router router_{RouteLimits{1'000'000, false}, model_, pool_, sink_};
};
dwtest::TempDir* RoutesTest::tmp_ = nullptr;
std::string* RoutesTest::dir_ = nullptr;

}  // namespace

TEST_F(RoutesTest, AnswersModelLoadingUntilTheModelIsSet) {
  Reply r = call("POST", "/predict", "{}");
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(error_code(r), "model_loading");
  EXPECT_EQ(r.record.fields().class_index, -1);
  EXPECT_EQ(call("GET", "/readyz").status, 503u);
  EXPECT_EQ(call("GET", "/model").status, 503u);
  EXPECT_EQ(call("GET", "/healthz").status, 200u);
  load_model();
  EXPECT_EQ(call("GET", "/readyz").status, 200u);
}

TEST_F(RoutesTest, RoutesMethodsAndContentTypes) {
  load_model();
  Reply r = call("GET", "/nope?x=1");
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(error_code(r), "not_found");
  r = call("GET", "/predict");
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(error_code(r), "method_not_allowed");
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].second, "POST");
  r = call("DELETE", "/healthz");
  EXPECT_EQ(r.status, 405u);
  r = call("POST", "/predict", "{}", "text/plain");
  EXPECT_EQ(r.status, 415u);
  EXPECT_EQ(error_code(r), "unsupported_media_type");
  // JSON with parameters, +json and no content type at all are all fine.
  EXPECT_EQ(error_code(call("POST", "/predict", "{}", "application/json; charset=utf-8")),
            "missing_image");
  EXPECT_EQ(error_code(call("POST", "/predict", "{}", "application/vnd.api+json")),
            "missing_image");
  EXPECT_EQ(error_code(call("POST", "/predict", "{}", nullptr)), "missing_image");
  r = call("GET", "/");
  EXPECT_EQ(r.status, 200u);
  EXPECT_NE(r.content_type.find("text/html"), std::string::npos);
  EXPECT_NE(r.body.find("id=\"prediction\""), std::string::npos);
  r = call("GET", "/model");
  EXPECT_NE(r.body.find("\"embedding_dim\":16"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"embedding_source\":\"embed_head\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"version\":\"7\""), std::string::npos) << r.body;
}

TEST_F(RoutesTest, MapsEveryBadBodyToItsError) {
  load_model();
  const std::string jpeg = encode_jpeg(dwtest::synthetic_image(40, 40, 3, 1), 90);
  struct Case {
    std::string body;
    const char* code;
  } cases[] = {
      {"", "empty_body"},
      {"not json", "invalid_json"},
      {"{\"image\": \"abc\"", "invalid_json"},
      {"[1, 2]", "missing_image"},
      {"{}", "missing_image"},
      {"{\"image\": 5}", "image_not_string"},
      {"{\"image\": null}", "image_not_string"},
      {"{\"image\": \"bad data\"}", "invalid_base64"},
      {"{\"image\": \"" + base64_encode("random bytes, not an image") + "\"}", "undecodable_image"},
      {"{\"image\": \"" + base64_encode(jpeg.substr(0, jpeg.size() / 2)) + "\"}",
       "undecodable_image"},
      {"{\"image\": \"" + base64_encode(dwtest::png_claiming(100000, 100000)) + "\"}",
       "image_too_large"},
  };
  for (const Case& c : cases) {
    const Reply r = call("POST", "/predict", c.body);
    EXPECT_EQ(r.status, 422u) << c.body.substr(0, 40);
    EXPECT_EQ(error_code(r), c.code) << c.body.substr(0, 40);
    EXPECT_EQ(r.record.fields().class_index, -1);
    EXPECT_TRUE(r.record.embedding().empty());
  }
}

TEST_F(RoutesTest, PredictAnswersWithTheModelsTopClassAndRecordsIt) {
  load_model();
  const server::Image img = dwtest::synthetic_image(28, 28, 1, 5);
  const std::string body = "{\"image\": \"" + base64_encode(encode_png(img)) + "\"}";
  const Reply r = call("POST", "/predict", body);
  ASSERT_EQ(r.status, 200u) << r.body;
  std::vector<float> x;
  preprocess(img, load_model_config(*dir_ + "/m.json"), x);
  const auto direct = dwtest::run_direct(*dir_ + "/m.pt", x, 1, 28, 28);
  const auto best = std::max_element(direct.probabilities.begin(), direct.probabilities.end()) -
                    direct.probabilities.begin();
  EXPECT_EQ(r.record.fields().class_index, best);
  EXPECT_NEAR(r.record.fields().confidence, direct.probabilities[best], 1e-5);
  EXPECT_EQ(r.record.fields().top_k_count, 5u);
  EXPECT_EQ(r.record.fields().top_k_class[0], best);
  for (int i = 1; i < 5; ++i)
    EXPECT_LE(r.record.fields().top_k_prob[i], r.record.fields().top_k_prob[i - 1]);
  ASSERT_EQ(r.record.embedding().size(), 16u);
  for (std::size_t i = 0; i < 16; ++i)
    EXPECT_NEAR(r.record.embedding()[i], direct.embedding[i],
                1e-5 * std::max(1.0f, std::abs(direct.embedding[i])));
  EXPECT_GT(r.record.fields().latency_preprocess_ns, 0u);
  EXPECT_GT(r.record.fields().latency_inference_ns, 0u);
  // --no-ring: the generation the router took at start (the clock's), then
  // the connection's id.
  simdjson::dom::parser parser;
  simdjson::padded_string answer(r.body);
  std::string_view id;
  ASSERT_EQ(parser.parse(answer)["request_id"].get_string().get(id), simdjson::SUCCESS) << r.body;
  const auto key = parse_request_id(id);
  ASSERT_TRUE(key) << id;
  EXPECT_EQ(key->request_id, 42u);
  EXPECT_LE(key->generation, ring::RingWriter::first_generation());
  EXPECT_GT(key->generation, ring::RingWriter::first_generation() - 3'600'000'000ULL);  // 1 h
  EXPECT_NE(r.body.find("\"prediction\":"), std::string::npos);
}

TEST_F(RoutesTest, AFullQueueAnswers503AtOnce) {
  load_model();
  // Hold the single inference thread and fill the queue (capacity 4).
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::promise<void> started;
  ASSERT_TRUE(pool_.try_submit([gate, &started] {
    started.set_value();
    gate.wait();
  }));
  started.get_future().wait();
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(pool_.try_submit([gate] { gate.wait(); })) << i;
  const auto t0 = std::chrono::steady_clock::now();
  std::promise<Reply> p;
  HttpRequest req;
  req.method = ring::Method::kPost;
  req.method_name = "POST";
  req.target = "/predict";
  req.handler = ring::Handler::kPredict;
  req.body = "{}";
  router_.handle(std::move(req), [&p](Reply&& r) { p.set_value(std::move(r)); });
  auto f = p.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::milliseconds(0)),
            std::future_status::ready);  // answered inline
  const Reply r = f.get();
  // Not queued behind the held thread (that would take until release).
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(1000));
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(error_code(r), "overloaded");
  release.set_value();
}

TEST_F(RoutesTest, MutatedRequestBodiesAlwaysGetAnAnswer) {
  load_model();
  const std::string png = encode_png(dwtest::synthetic_image(28, 28, 1, 6));
  const std::string valid =
      "{\"image\": \"" + base64_encode(png) + "\", \"extra\": [1, 2.5, \"x\", null]}";
  std::mt19937 rng(99);
  int ok = 0;
  for (int iter = 0; iter < 1500; ++iter) {
    std::string body = valid;
    for (int k = 0, n = 1 + rng() % 4; k < n && !body.empty(); ++k) {
      // Half the time only the JSON around the image (the tail): many of those
      // stay valid.
      const std::size_t tail = std::min<std::size_t>(body.size(), 48);
      const std::size_t pos = iter % 2 ? body.size() - 1 - rng() % tail : rng() % body.size();
      switch (rng() % 4) {
        case 0:
          body[pos] = static_cast<char>(rng());
          break;
        case 1:
          body.erase(pos, 1 + rng() % 16);
          break;
        case 2:
          body.insert(pos, 1, "{}[]\",:\\ 0e-"[rng() % 13]);
          break;
        default:
          body.resize(pos);
      }
    }
    const Reply r = call("POST", "/predict", body);
    ASSERT_TRUE(r.status == 200 || r.status == 422) << r.status << " " << r.body;
    if (r.status == 200) {
      ++ok;
      ASSERT_EQ(r.record.embedding().size(), 16u);
    } else {
      ASSERT_FALSE(error_code(r).empty());
      ASSERT_EQ(r.record.fields().class_index, -1);
    }
  }
  EXPECT_GT(ok, 10);
}
