// The real infer-server binary on an ephemeral port, a tiny TorchScript model
// made here, a ring in a plain file: answers checked against the model run
// directly, every bad input checked for status, JSON error and ring record.
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <numeric>
#include <sstream>
#include <thread>

#include "exporter/process_stats.h"
#include "server/image.h"
#include "server/model_config.h"
#include "server/preprocess.h"
#include "server/request_id.h"
#include "shared/common/base64.h"
#include "shared/ring/ring_reader.h"
#include "tests/server/support/http_client.h"
#include "tests/server/support/server_process.h"
#include "tests/server/support/test_images.h"
#include "tests/server/support/test_models.h"
#include "tests/support/small_tmpfs.h"

using namespace driftwatch;
using dwtest::HttpClient;
using dwtest::HttpResponse;
using dwtest::ServerProcess;

namespace {

std::string output_dir() {
  const std::string dir = DW_TEST_OUTPUT_DIR;
  std::system(("mkdir -p '" + dir + "'").c_str());
  return dir;
}

std::string test_name() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return std::string(info->test_suite_name()) + "." + info->name();
}

std::string predict_body(const std::string& image_bytes) {
  return "{\"image\": \"" + common::base64_encode(image_bytes) + "\"}";
}

struct Json {
  simdjson::dom::parser parser;
  simdjson::padded_string text;
  simdjson::dom::element root;
  bool ok = false;
  explicit Json(const std::string& s) : text(s) {
    ok = parser.parse(text).get(root) == simdjson::SUCCESS;
  }
  std::string str(const char* key) {
    std::string_view v;
    if (!ok || root[key].get_string().get(v) != simdjson::SUCCESS) return "<missing>";
    return std::string(v);
  }
  double num(const char* key) {
    double v = -1;
    if (!ok || root[key].get_double().get(v) != simdjson::SUCCESS) return -1;
    return v;
  }
  std::int64_t integer(const char* key) {
    std::int64_t v = -1;
    if (!ok || root[key].get_int64().get(v) != simdjson::SUCCESS) return -1;
    return v;
  }
};

// One server with a model and a ring file, per test.
class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = dwtest::make_temp_dir("infer-server-test"); }
  void TearDown() override {
    if (server_) {
      const int rc = server_->stop();
      EXPECT_EQ(rc, 0) << "infer-server did not stop cleanly on SIGTERM; log:\n" << server_->log();
    }
    std::system(("rm -rf '" + dir_ + "'").c_str());
  }

  void start(dwtest::ModelKind kind, std::vector<std::string> extra = {},
             const std::string& model = "") {
    model_ = model.empty() ? dir_ + "/model.pt" : model;
    config_ = dir_ + "/model.json";
    if (model.empty()) dwtest::write_test_model(model_, config_, kind);
    ring_ = dir_ + "/ring";
    std::vector<std::string> args = {"--model",         model_, "--model-config", config_,
                                     "--ring",          ring_,  "--ring-slots",   "65536",
                                     "--infer-threads", "2",    "--io-threads",   "2",
                                     "--log-level",     "debug"};
    // Tests stop the server with SIGTERM: no drain period unless asked for.
    if (std::find(extra.begin(), extra.end(), "--drain-ms") == extra.end())
      extra.insert(extra.end(), {"--drain-ms", "0"});
    args.insert(args.end(), extra.begin(), extra.end());
    std::string binary = DW_INFER_SERVER;
    if (fd_limit_ > 0) {  // through a shell that lowers RLIMIT_NOFILE first
      args.insert(
          args.begin(),
          {"-c", "ulimit -n " + std::to_string(fd_limit_) + " && exec \"$0\" \"$@\"", binary});
      binary = "/bin/sh";
    }
    server_ =
        std::make_unique<ServerProcess>(binary, args, output_dir() + "/" + test_name() + ".log");
    ASSERT_TRUE(server_->started()) << server_->log();
    ASSERT_TRUE(server_->wait_ready()) << server_->log();
  }

  // Opens the ring and skips what is already there (the /readyz polls).
  void open_ring() {
    ring::RingReader::Options o;
    o.name = ring_;
    o.from_start = true;
    reader_ = std::make_unique<ring::RingReader>(o);
    ring::Record r;
    while (reader_->poll(r)) {
    }
  }

  // The next ring record (waits briefly: written before the reply is sent).
  bool next_record(ring::Record& r) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      if (reader_->poll(r)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return false;
  }

  server::ModelConfig config() const { return server::load_model_config(config_); }

  // POSTs an image and checks the answer and its record against the model run
  // directly.
  void check_prediction(const server::Image& image, const std::string& encoded,
                        HttpClient& client) {
    const std::string body = predict_body(encoded);
    auto res = client.request("POST", "/predict", body);
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    EXPECT_EQ(res->header("content-type"), "application/json");
    Json j(res->body);
    ASSERT_TRUE(j.ok) << res->body;

    // The reference: the same decode + preprocessing, the model loaded plainly.
    server::Image decoded;
    ASSERT_TRUE(server::decode_image(reinterpret_cast<const std::uint8_t*>(encoded.data()),
                                     encoded.size(), 40'000'000, decoded)
                    .ok());
    if (encoded[0] == '\x89') {
      EXPECT_EQ(decoded.pixels, image.pixels);  // PNG is lossless
    }
    std::vector<float> x;
    const server::ModelConfig cfg = config();
    server::preprocess(decoded, cfg, x);
    const auto direct = dwtest::run_direct(model_, x, cfg.channels, cfg.height, cfg.width);
    const auto& p = direct.probabilities;
    const int best = static_cast<int>(std::max_element(p.begin(), p.end()) - p.begin());
    EXPECT_EQ(j.str("prediction"), cfg.class_names[best]);
    EXPECT_EQ(j.integer("class_index"), best);
    EXPECT_NEAR(j.num("probability"), p[best], 1e-5);
    const auto id = server::parse_request_id(j.str("request_id"));
    ASSERT_TRUE(id) << res->body;
    EXPECT_EQ(id->generation, reader_->generation());

    ring::Record r;
    ASSERT_TRUE(next_record(r));
    const auto& f = r.fields;
    EXPECT_EQ(f.request_id, id->request_id);
    EXPECT_EQ(f.http_status, 200);
    EXPECT_EQ(f.handler, ring::Handler::kPredict);
    EXPECT_EQ(f.method, ring::Method::kPost);
    EXPECT_EQ(f.class_index, best);
    EXPECT_NEAR(f.confidence, p[best], 1e-5);
    EXPECT_EQ(f.body_bytes, body.size());
    EXPECT_EQ(f.top_k_count, 5u);
    std::vector<int> order(p.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int a, int b) { return p[a] > p[b]; });
    for (int i = 0; i < 5; ++i) {
      EXPECT_NEAR(f.top_k_prob[i], p[order[i]], 1e-5);
      if (std::abs(p[order[i]] - p[order[i == 4 ? 3 : i + 1]]) > 1e-5) {
        EXPECT_EQ(f.top_k_class[i], order[i]);
      }
    }
    ASSERT_EQ(r.embedding.size(), direct.embedding.size());
    ASSERT_EQ(f.embedding_count, direct.embedding.size());
    for (std::size_t i = 0; i < r.embedding.size(); ++i)
      EXPECT_NEAR(r.embedding[i], direct.embedding[i],
                  1e-5 * std::max(1.0f, std::abs(direct.embedding[i])));
    EXPECT_GT(f.latency_preprocess_ns, 0u);
    EXPECT_GT(f.latency_inference_ns, 0u);
    EXPECT_GE(f.latency_total_ns, f.latency_preprocess_ns + f.latency_inference_ns);
    const auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    EXPECT_NEAR(static_cast<double>(f.timestamp_ns), static_cast<double>(now_ns), 60e9);
  }

  std::string dir_, model_, config_, ring_;
  int fd_limit_ = 0;  // RLIMIT_NOFILE for the server; 0: inherited
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<ring::RingReader> reader_;
};

}  // namespace

TEST_F(ServerTest, AnswersJpegAndPngLikeTheModelRunDirectlyAndRecordsEach) {
  if (!dwtest::fashion_mnist_available()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  start(dwtest::ModelKind::kEmbedHead);
  open_ring();
  const auto& info = reader_->info();
  EXPECT_EQ(info.embedding_dim, 16u);
  EXPECT_EQ(info.model_name, "test-cnn");
  EXPECT_EQ(info.model_version, "7");
  ASSERT_EQ(info.class_names.size(), 10u);
  EXPECT_EQ(info.class_names[9], "Ankle boot");

  HttpClient client(server_->port());
  const auto images = dwtest::fashion_mnist_images(12);
  ASSERT_EQ(images.size(), 12u);
  for (const auto& img : images) {
    SCOPED_TRACE("png");
    check_prediction(img, server::encode_png(img), client);
  }
  for (const auto& img : images) {
    SCOPED_TRACE("jpeg");
    check_prediction(img, server::encode_jpeg(img, 90), client);
  }
  // A colour photo-sized JPEG goes through gray conversion, resize and crop.
  const auto photo = dwtest::synthetic_image(300, 200, 3, 17);
  check_prediction(photo, server::encode_jpeg(photo, 85), client);

  auto model = client.request("GET", "/model");
  ASSERT_TRUE(model);
  Json j(model->body);
  EXPECT_EQ(j.integer("embedding_dim"), 16);
  EXPECT_EQ(j.str("embedding_source"), "embed_head");
  EXPECT_EQ(j.integer("backbone_passes"), 1);
  EXPECT_EQ(j.str("name"), "test-cnn");
}

TEST_F(ServerTest, EveryBadInputGetsItsStatusJsonErrorAndRingRecord) {
  start(dwtest::ModelKind::kEmbedHead,
        {"--max-body-bytes", "1048576", "--read-timeout-ms", "400", "--max-header-bytes", "4096"});
  open_ring();
  const int port = server_->port();
  const std::string jpeg = server::encode_jpeg(dwtest::synthetic_image(64, 64, 3, 2), 90);

  struct Expect {
    int status;
    const char* code;
    ring::Handler handler;
  };
  auto check = [&](const std::string& name, const std::optional<HttpResponse>& res, Expect e) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(res) << "no response";
    EXPECT_EQ(res->status, e.status) << res->body;
    EXPECT_EQ(res->header("content-type"), "application/json");
    Json j(res->body);
    ASSERT_TRUE(j.ok) << res->body;
    EXPECT_EQ(j.str("error"), e.code) << res->body;
    EXPECT_GT(j.str("detail").size(), 10u) << res->body;
    ring::Record r;
    ASSERT_TRUE(next_record(r));
    EXPECT_EQ(r.fields.http_status, e.status);
    EXPECT_EQ(r.fields.class_index, -1);
    EXPECT_EQ(r.fields.handler, e.handler);
    EXPECT_EQ(r.fields.embedding_count, 0u);
    EXPECT_EQ(r.fields.top_k_count, 0u);
  };
  const auto P = ring::Handler::kPredict;

  HttpClient c(port);
  check("no body", c.request("POST", "/predict", ""), {422, "empty_body", P});
  check("{}", c.request("POST", "/predict", "{}"), {422, "missing_image", P});
  check("not JSON", c.request("POST", "/predict", "image=abc"), {422, "invalid_json", P});
  check("image 5", c.request("POST", "/predict", "{\"image\": 5}"), {422, "image_not_string", P});
  check("bad base64", c.request("POST", "/predict", "{\"image\": \"bad data\"}"),
        {422, "invalid_base64", P});
  std::string random_bytes(3000, '\0');
  for (std::size_t i = 0; i < random_bytes.size(); ++i)
    random_bytes[i] = static_cast<char>((i * 2654435761u) >> 13);
  check("random bytes", c.request("POST", "/predict", predict_body(random_bytes)),
        {422, "undecodable_image", P});
  check("truncated JPEG",
        c.request("POST", "/predict", predict_body(jpeg.substr(0, jpeg.size() / 2))),
        {422, "undecodable_image", P});
  check("100000x100000 PNG",
        c.request("POST", "/predict", predict_body(dwtest::png_claiming(100000, 100000))),
        {422, "image_too_large", P});
  check("wrong content type", c.request("POST", "/predict", "{}", "text/plain"),
        {415, "unsupported_media_type", P});
  {
    auto res = c.request("GET", "/predict");
    check("wrong method", res, {405, "method_not_allowed", P});
    EXPECT_EQ(res->header("allow"), "POST");
  }
  check("PUT /model", c.request("PUT", "/model", "{}"),
        {405, "method_not_allowed", ring::Handler::kModel});
  check("unknown path", c.request("GET", "/does/not/exist"),
        {404, "not_found", ring::Handler::kNone});
  // The same keep-alive connection served all of the above.
  EXPECT_TRUE(c.request("GET", "/healthz").has_value());
  ring::Record skip;
  ASSERT_TRUE(next_record(skip));

  {  // over the body limit: 413, then the connection closes
    HttpClient big(port);
    const std::string body = predict_body(std::string(2 * 1024 * 1024, 'x'));
    auto res = big.request("POST", "/predict", body);
    check("body over the limit", res, {413, "body_too_large", P});
    EXPECT_EQ(res->header("connection"), "close");
  }
  {  // a header over the limit
    HttpClient h(port);
    h.send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(8000, 'a') + "\r\n\r\n");
    check("header over the limit", h.read_response(),
          {431, "header_too_large", ring::Handler::kHealthz});
  }
  {  // malformed HTTP
    HttpClient m(port);
    m.send_raw("THIS IS NOT HTTP\r\n\r\n");
    check("malformed HTTP", m.read_response(), {400, "bad_request", ring::Handler::kNone});
    EXPECT_TRUE(m.wait_closed(std::chrono::seconds(5)));
  }
  {  // half a request, then nothing: 408 after the read timeout, then close
    HttpClient s(port);
    const auto t0 = std::chrono::steady_clock::now();
    s.send_raw(
        "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: "
        "application/json\r\nContent-Length: "
        "1000\r\n\r\n{\"image\": \"");
    auto res = s.read_response(std::chrono::seconds(10));
    const auto waited = std::chrono::steady_clock::now() - t0;
    check("stalled client", res, {408, "request_timeout", P});
    EXPECT_GE(waited, std::chrono::milliseconds(350));
    EXPECT_TRUE(s.wait_closed(std::chrono::seconds(5)));
  }
  {  // a stalled header (no request line complete) is a 408 too
    HttpClient s(port);
    s.send_raw("GET /heal");
    check("stalled header", s.read_response(std::chrono::seconds(10)),
          {408, "request_timeout", ring::Handler::kNone});
  }
  {  // an idle keep-alive connection is simply closed, with no record
    HttpClient idle(port);
    EXPECT_TRUE(idle.wait_closed(std::chrono::seconds(5)));
  }

  // After all of that the server still answers correctly.
  if (dwtest::fashion_mnist_available()) {
    HttpClient ok(port);
    const auto images = dwtest::fashion_mnist_images(2);
    check_prediction(images[1], server::encode_png(images[1]), ok);
  }
  ring::Record extra;
  EXPECT_FALSE(reader_->poll(extra)) << "an unexpected record, status " << extra.fields.http_status;
}

TEST_F(ServerTest, SixtyFourKeepAliveClientsTimesTwoHundredRequests) {
  start(dwtest::ModelKind::kEmbedHead);
  open_ring();
  constexpr int kClients = 64, kRequests = 200;
  std::vector<std::string> bodies;
  for (int i = 0; i < 8; ++i)
    bodies.push_back(predict_body(server::encode_png(dwtest::synthetic_image(28, 28, 1, 100 + i))));
  std::atomic<int> ok{0}, failed{0};
  std::atomic<int> reconnects{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&, t] {
      HttpClient c(server_->port());
      for (int i = 0; i < kRequests; ++i) {
        const std::string req =
            "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: "
            "application/json\r\nContent-Length: " +
            std::to_string(bodies[(t + i) % 8].size()) + "\r\n\r\n" + bodies[(t + i) % 8];
        auto res = c.send_raw(req) ? c.read_response(std::chrono::seconds(60)) : std::nullopt;
        if (res && res->status == 200) {
          ++ok;
        } else {
          ++failed;
          c.reconnect();
          ++reconnects;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kClients * kRequests);
  EXPECT_EQ(failed.load(), 0);
  std::size_t records = 0, predict_ok = 0;
  ring::Record r;
  while (reader_->poll(r)) {
    ++records;
    if (r.fields.handler == ring::Handler::kPredict && r.fields.http_status == 200 &&
        r.embedding.size() == 16)
      ++predict_ok;
  }
  EXPECT_EQ(records, static_cast<std::size_t>(kClients * kRequests));
  EXPECT_EQ(predict_ok, static_cast<std::size_t>(kClients * kRequests));
  EXPECT_EQ(reader_->records_lost(), 0u);
}

TEST_F(ServerTest, AModelScriptedByPythonLoadsAndServes) {
  if (std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "/usr/bin/python3 has no torch (Debian python3-torch)";
  const std::string py = dir_ + "/make_model.py";
  const std::string pt = dir_ + "/py_model.pt";
  dwtest::write_file(py, R"PY(
import sys, torch
class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 3, 3, padding=1)
        self.fc1 = torch.nn.Linear(3 * 14 * 14, 12)
        self.fc2 = torch.nn.Linear(12, 10)
    def forward(self, x):
        e = self.fc1(torch.flatten(torch.max_pool2d(torch.relu(self.conv(x)), 2), 1))
        return self.fc2(torch.relu(e)), e
torch.manual_seed(3)
torch.jit.script(Net().eval()).save(sys.argv[1])
)PY");
  ASSERT_EQ(std::system(("/usr/bin/python3 " + py + " " + pt).c_str()), 0);
  dwtest::write_file(dir_ + "/model.json", dwtest::fashion_config_json("py-net", "3"));
  start(dwtest::ModelKind::kTuple, {}, pt);
  open_ring();
  EXPECT_EQ(reader_->info().embedding_dim, 12u);
  HttpClient c(server_->port());
  auto m = c.request("GET", "/model");
  ASSERT_TRUE(m);
  Json j(m->body);
  EXPECT_EQ(j.str("embedding_source"), "forward_tuple");
  EXPECT_EQ(j.integer("embedding_dim"), 12);
  ring::Record skip;
  ASSERT_TRUE(next_record(skip));
  const auto img = dwtest::synthetic_image(28, 28, 1, 8);
  check_prediction(img, server::encode_png(img), c);
}

TEST_F(ServerTest, AModelWithoutEmbedFallsBackToTheSoftmaxVector) {
  start(dwtest::ModelKind::kLogitsOnly);
  open_ring();
  EXPECT_EQ(reader_->info().embedding_dim, 10u);
  HttpClient c(server_->port());
  const auto img = dwtest::synthetic_image(28, 28, 1, 9);
  const std::string body = predict_body(server::encode_png(img));
  auto res = c.request("POST", "/predict", body);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  ring::Record r;
  ASSERT_TRUE(next_record(r));
  ASSERT_EQ(r.embedding.size(), 10u);
  float sum = 0;
  for (float v : r.embedding) sum += v;
  EXPECT_NEAR(sum, 1.0f, 1e-5);
  EXPECT_FLOAT_EQ(r.embedding[r.fields.class_index], r.fields.confidence);
}

// Each one-pass model has its other path armed to throw (test_models.h):
// the real server loading, warming up every thread and answering like the
// model run directly proves one backbone pass per request.
TEST_F(ServerTest, OnePassModelsNeverTakeTheTwoPassPath) {
  for (auto kind : {dwtest::ModelKind::kEmbedHeadTrap, dwtest::ModelKind::kTupleTrap}) {
    const bool head = kind == dwtest::ModelKind::kEmbedHeadTrap;
    SCOPED_TRACE(head ? "embed + head, forward raises" : "forward tuple, embed raises");
    start(kind);
    open_ring();
    HttpClient c(server_->port());
    auto m = c.request("GET", "/model");
    ASSERT_TRUE(m);
    Json j(m->body);
    EXPECT_EQ(j.str("embedding_source"), head ? "embed_head" : "forward_tuple");
    EXPECT_EQ(j.integer("backbone_passes"), 1);
    EXPECT_EQ(j.num("extra_pass_ms"), -1) << "only two-pass models report it";
    ring::Record skip;
    ASSERT_TRUE(next_record(skip));  // the GET /model
    for (int seed = 20; seed < 23; ++seed) {
      const auto img = dwtest::synthetic_image(28, 28, 1, seed);
      check_prediction(img, server::encode_png(img), c);
    }
    const std::string log = server_->log();
    EXPECT_NE(log.find("warmed up 2 inference threads"), std::string::npos) << log;
    EXPECT_EQ(log.find("runs twice"), std::string::npos) << log;
    EXPECT_EQ(server_->stop(), 0) << server_->log();
    server_.reset();
  }
}

TEST_F(ServerTest, ATwoPassModelIsWarnedAboutAtLoadAndInGetModel) {
  start(dwtest::ModelKind::kEmbedForward);
  open_ring();
  HttpClient c(server_->port());
  auto m = c.request("GET", "/model");
  ASSERT_TRUE(m);
  Json j(m->body);
  EXPECT_EQ(j.str("embedding_source"), "embed_forward");
  EXPECT_EQ(j.integer("backbone_passes"), 2);
  EXPECT_GT(j.num("extra_pass_ms"), 0.0) << m->body;
  const std::string log = server_->log();
  EXPECT_NE(log.find("the backbone runs twice per request (+"), std::string::npos) << log;
  ring::Record skip;
  ASSERT_TRUE(next_record(skip));
  const auto img = dwtest::synthetic_image(28, 28, 1, 30);
  check_prediction(img, server::encode_png(img), c);  // still correct, only slower
}

// A model that overflows on one odd input: its NaN answer is the server's
// 500 with its own code, recorded as a failure (no class, no embedding for the
// drift detector), and the next ordinary request is served as before.
TEST_F(ServerTest, ANonFiniteModelOutputIsA500RecordedAsAFailure) {
  start(dwtest::ModelKind::kNanOnWhite);
  open_ring();
  HttpClient c(server_->port());
  server::Image white{28, 28, 1, std::vector<std::uint8_t>(28 * 28, 255)};
  auto res = c.request("POST", "/predict", predict_body(server::encode_png(white)));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 500) << res->body;
  Json j(res->body);
  EXPECT_EQ(j.str("error"), "non_finite_output") << res->body;
  ring::Record r;
  ASSERT_TRUE(next_record(r));
  EXPECT_EQ(r.fields.http_status, 500);
  EXPECT_LT(r.fields.class_index, 0);
  EXPECT_TRUE(r.embedding.empty());
  EXPECT_GT(r.fields.latency_inference_ns, 0u);

  auto ok = c.request("POST", "/predict",
                      predict_body(server::encode_png(dwtest::synthetic_image(28, 28, 1, 9))));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
  ASSERT_TRUE(next_record(r));
  EXPECT_EQ(r.fields.http_status, 200);
  EXPECT_GE(r.fields.class_index, 0);
}

TEST_F(ServerTest, NoRingFlagServesWithoutCreatingTheRing) {
  start(dwtest::ModelKind::kEmbedHead, {"--no-ring"});
  struct stat st;
  EXPECT_NE(::stat(ring_.c_str(), &st), 0) << "a ring was created";
  HttpClient c(server_->port());
  auto res = c.request("POST", "/predict",
                       predict_body(server::encode_png(dwtest::synthetic_image(28, 28, 1, 1))));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  auto m = c.request("GET", "/model");
  EXPECT_NE(m->body.find("\"ring\":null"), std::string::npos);
}

TEST_F(ServerTest, SettingsComeFromTheEnvironmentAndFlagsWin) {
  ::setenv("DRIFTWATCH_MAX_BODY_BYTES", "100", 1);
  ::setenv("DRIFTWATCH_MAX_HEADER_BYTES", "10",
           1);  // would refuse every request
  start(dwtest::ModelKind::kEmbedHead, {"--max-header-bytes", "16384"});
  ::unsetenv("DRIFTWATCH_MAX_BODY_BYTES");
  ::unsetenv("DRIFTWATCH_MAX_HEADER_BYTES");
  HttpClient c(server_->port());
  auto res = c.request("POST", "/predict", std::string(200, ' '));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413) << res->body;
}

TEST_F(ServerTest, ConnectionsOverTheLimitGet503) {
  start(dwtest::ModelKind::kEmbedHead, {"--max-connections", "2"});
  std::this_thread::sleep_for(
      std::chrono::milliseconds(300));  // the readiness probes' connections close
  HttpClient a(server_->port()), b(server_->port());
  ASSERT_TRUE(a.request("GET", "/healthz"));
  ASSERT_TRUE(b.request("GET", "/healthz"));
  HttpClient third(server_->port());
  auto res = third.read_response(std::chrono::seconds(5));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_NE(res->body.find("too_many_connections"), std::string::npos);
}

// A rolling restart: SIGTERM with --drain-ms first takes the replica out of
// the load balancer (/readyz 503) while /predict is still served, then closes
// the listener and finishes what is in flight. No request fails.
TEST_F(ServerTest, SigtermDrainsReadinessFirstThenStopsWithoutFailingARequest) {
  start(dwtest::ModelKind::kEmbedHead, {"--drain-ms", "1500"});
  const std::string body = predict_body(server::encode_png(dwtest::synthetic_image(28, 28, 1, 1)));
  std::atomic<bool> done{false};
  std::atomic<int> answered{0}, failed{0};
  // A keep-alive client sending all along: every request it sends gets 200;
  // the connection may close only after an answer.
  std::thread client([&] {
    HttpClient c(server_->port());
    while (!done.load()) {
      auto res = c.request("POST", "/predict", body);
      if (!res) break;  // closed after the last answer: the listener is gone
      (res->status == 200 ? answered : failed)++;
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(::kill(server_->pid(), SIGTERM), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  {
    // A new connection during the drain period: still accepted and served.
    HttpClient probe(server_->port());
    auto ready = probe.request("GET", "/readyz");
    EXPECT_TRUE(ready && ready->status == 503 &&
                ready->body.find("\"draining\"") != std::string::npos)
        << (ready ? ready->body : "no answer");
    auto predict = probe.request("POST", "/predict", body);
    EXPECT_TRUE(predict && predict->status == 200) << (predict ? predict->body : "no answer");
  }
  const int rc = server_->wait_exit(std::chrono::seconds(30));
  done = true;
  client.join();
  server_.reset();
  EXPECT_EQ(rc, 0);
  EXPECT_GT(answered.load(), 0);
  EXPECT_EQ(failed.load(), 0);
}

// The shared accept loop's back-off, as drift-exporter's twin test checks it:
// at `ulimit -n 24` with 40 clients the accepts fail with EMFILE; the server
// must neither spin nor log every failure, and must accept again once
// descriptors are free.
TEST_F(ServerTest, OutOfFileDescriptorsItBacksOffCountsAndLogsRarely) {
  fd_limit_ = 24;
  start(dwtest::ModelKind::kEmbedHead);
  std::vector<std::unique_ptr<HttpClient>> clients;
  const auto cpu_seconds = [&] {
    const auto stats = exporter::read_process_stats(server_->pid());
    return stats ? stats->cpu_seconds : -1.0;
  };
  const double cpu_before = cpu_seconds();
  for (int i = 0; i < 40; ++i) {
    auto c = std::make_unique<HttpClient>(server_->port());
    if (c->connected()) clients.push_back(std::move(c));
  }
  std::this_thread::sleep_for(std::chrono::seconds(3));
  const double cpu = cpu_seconds() - cpu_before;
  clients.clear();  // descriptors free again: the server accepts again
  std::optional<HttpResponse> health;
  for (int i = 0; i < 100 && !(health && health->status == 200); ++i) {
    HttpClient c(server_->port());
    health = c.request("GET", "/healthz");
    if (!health) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(health && health->status == 200);
  EXPECT_GE(cpu_before, 0.0);
  EXPECT_LT(cpu, 1.0) << "more than 1 s of CPU in 3 s";
  ASSERT_EQ(server_->stop(), 0) << server_->log();
  const std::string log = server_->log();
  server_.reset();
  std::size_t lines = 0;
  for (std::size_t at = log.find("http accept"); at != std::string::npos;
       at = log.find("http accept", at + 1))
    ++lines;
  EXPECT_GE(lines, 1u) << log;
  EXPECT_LE(lines, 2u) << log;
  // 3 s of failures at a back-off up to 1 s: a handful, not thousands.
  const auto at = log.find(" failed accepts");
  ASSERT_NE(at, std::string::npos) << log;
  const long errors = std::stol(log.substr(log.rfind(' ', at - 1) + 1));
  EXPECT_GT(errors, 0);
  EXPECT_LT(errors, 100);
}

TEST_F(ServerTest, MetricsPathSaysWhereTheMetricsAre) {
  start(dwtest::ModelKind::kEmbedHead);
  HttpClient c(server_->port());
  auto res = c.request("GET", "/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  Json j(res->body);
  EXPECT_EQ(j.str("error"), "not_found");
  EXPECT_NE(j.str("detail").find("drift-exporter"), std::string::npos) << res->body;
  EXPECT_NE(j.str("detail").find("9400"), std::string::npos) << res->body;
}

TEST(ServerStartup, VersionNamesRevisionCompilerAndLibTorch) {
  const dwtest::TempDir tmp("version");
  const std::string out = tmp.path() + "/version.txt";
  ASSERT_EQ(std::system((std::string(DW_INFER_SERVER) + " --version > " + out).c_str()), 0);
  const std::string text = dwtest::read_file(out);
  EXPECT_EQ(text.rfind("infer-server ", 0), 0u) << text;
  for (const char* part : {"\nrevision ", "\ncompiler ", "\nlibtorch 1."})
    EXPECT_NE(text.find(part), std::string::npos) << part << " in " << text;
}

TEST(ServerStartup, AMissingModelFileIsNamedFirst) {
  const dwtest::TempDir tmp("missing");
  ServerProcess p(DW_INFER_SERVER, {"--model", tmp.path() + "/nonexistent.pt", "--no-ring"},
                  tmp.path() + "/log.txt");
  EXPECT_EQ(p.wait_exit(std::chrono::seconds(60)), 1);
  const std::string log = p.log();
  EXPECT_NE(log.find("nonexistent.pt: cannot open"), std::string::npos) << log;
  EXPECT_EQ(log.find("nonexistent.json"), std::string::npos) << log;
}

TEST(ServerStartup, HelpListsTheFlags) {
  const dwtest::TempDir tmp("help");
  const std::string out = tmp.path() + "/help.txt";
  ASSERT_EQ(std::system((std::string(DW_INFER_SERVER) + " --help > " + out).c_str()), 0);
  const std::string text = dwtest::read_file(out);
  for (const char* flag : {"--model",
                           "--model-config",
                           "--ring",
                           "--ring-bytes",
                           "--ring-slots",
                           "--no-ring",
                           "--listen",
                           "--port",
                           "--io-threads",
                           "--infer-threads",
                           "--intra-op-threads",
                           "--max-batch",
                           "--batch-delay-us",
                           "--device",
                           "--jpeg-dct-scaling",
                           "--max-body-bytes",
                           "--max-pixels",
                           "--max-header-bytes",
                           "--read-timeout-ms",
                           "--max-connections",
                           "--log-level",
                           "--drain-ms",
                           "--feedback-token-file",
                           "--version",
                           "DRIFTWATCH_"})
    EXPECT_NE(text.find(flag), std::string::npos) << flag;
}

TEST(ServerStartup, ABrokenModelEndsTheProcessWithOneClearLine) {
  const dwtest::TempDir tmp("broken");
  const std::string& dir = tmp.path();
  dwtest::write_file(dir + "/m.pt", "not a model");
  dwtest::write_file(dir + "/m.json", dwtest::fashion_config_json());
  ServerProcess p(DW_INFER_SERVER, {"--model", dir + "/m.pt", "--no-ring"}, dir + "/log.txt");
  EXPECT_EQ(p.wait_exit(std::chrono::seconds(60)), 1);
  const std::string log = p.log();
  EXPECT_NE(log.find("cannot load TorchScript model"), std::string::npos) << log;
}

// The shipped deployments' crash: a ring larger than its tmpfs. The segment's
// pages are reserved at creation, so the server refuses at start with one
// clear line (exit 1, nothing left in the tmpfs) instead of dying of SIGBUS
// under traffic; --ring-bytes sizes a ring that fits.
TEST(ServerStartup, ARingItsTmpfsCannotHoldEndsTheProcessAtStart) {
  dwtest::SmallTmpfs fs(1 << 20);
  if (!fs.available()) GTEST_SKIP() << fs.skip_reason();
  const dwtest::TempDir tmp("small-shm");
  const std::string& dir = tmp.path();
  dwtest::write_test_model(dir + "/m.pt", dir + "/m.json", dwtest::ModelKind::kEmbedHead);
  // The model's embeddings have 16 floats.
  const std::string slot_bytes = std::to_string(ring::slot_bytes_for(16)) + " bytes";
  {
    // 65536 slots of 256 bytes = 16.8 MB on a 1 MiB tmpfs.
    ServerProcess p(
        DW_INFER_SERVER,
        {"--model", dir + "/m.pt", "--ring", fs.dir() + "/ring", "--ring-slots", "65536"},
        dir + "/too_big.txt");
    EXPECT_EQ(p.wait_exit(std::chrono::seconds(60)), 1);
    const std::string log = p.log();
    EXPECT_NE(
        log.find("not enough space for ring " + fs.dir() + "/ring: 65536 slots of " + slot_bytes),
        std::string::npos)
        << log;
    EXPECT_EQ(fs.entries(), 0u) << "a partial segment was left in the tmpfs";
  }
  // The same tmpfs with the ring sized in bytes: starts, and says what it got.
  ServerProcess p(
      DW_INFER_SERVER,
      {"--model", dir + "/m.pt", "--ring", fs.dir() + "/ring", "--ring-bytes", "900000"},
      dir + "/fits.txt");
  ASSERT_TRUE(p.wait_ready()) << p.log();
  ring::RingReader::Options o;
  o.name = fs.dir() + "/ring";
  ring::RingReader reader(o);
  // 2048 x 256 B + header <= 900000 < 4096 x 256 B
  EXPECT_EQ(reader.info().slot_count, 2048u);
  EXPECT_NE(p.log().find("2048 slots of " + slot_bytes), std::string::npos) << p.log();
  EXPECT_EQ(p.stop(), 0);
}
