// POST /feedback and the request ids it names, against the real infer-server:
// a /predict answer's request_id names its ring record, ids stay unique
// across restarts, every label becomes one feedback record, every bad body
// gets its status and code (and no feedback record), and the token file.
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "server/image.h"
#include "server/request_id.h"
#include "shared/common/base64.h"
#include "shared/ring/ring_reader.h"
#include "tests/server/support/http_client.h"
#include "tests/server/support/server_process.h"
#include "tests/server/support/test_images.h"
#include "tests/server/support/test_models.h"
#include "tests/support/child_process.h"
#include "tests/support/files.h"
#include "tests/support/idx_writer.h"
#include "tests/support/temp_dir.h"

using namespace driftwatch;
using dwtest::HttpClient;
using dwtest::HttpResponse;
using dwtest::ServerProcess;

namespace {

std::string json_string_field(const std::string& body, const char* key) {
  simdjson::dom::parser parser;
  simdjson::padded_string text(body);
  std::string_view v;
  if (parser.parse(text)[key].get_string().get(v) != simdjson::SUCCESS) return "<missing>";
  return std::string(v);
}

std::int64_t json_int_field(const std::string& body, const char* key) {
  simdjson::dom::parser parser;
  simdjson::padded_string text(body);
  std::int64_t v = -1;
  if (parser.parse(text)[key].get_int64().get(v) != simdjson::SUCCESS) return -1;
  return v;
}

std::string label_json(const std::string& request_id, const std::string& rest) {
  return R"({"request_id": ")" + request_id + "\", " + rest + "}";
}

// One infer-server on a model and a ring file of this test's directory.
class FeedbackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dwtest::write_test_model(dir_.file("model.pt"), dir_.file("model.json"),
                             dwtest::ModelKind::kEmbedHead);
  }
  void TearDown() override {
    if (server_) {
      EXPECT_EQ(server_->stop(), 0) << server_->log();
    }
  }

  void start(std::vector<std::string> extra = {}) {
    if (server_) {
      ASSERT_EQ(server_->stop(), 0) << server_->log();
    }
    std::vector<std::string> args = {"--model",        dir_.file("model.pt"),
                                     "--model-config", dir_.file("model.json"),
                                     "--ring",         dir_.file("ring"),
                                     "--ring-slots",   "4096",
                                     "--drain-ms",     "0",
                                     "--log-level",    "debug"};
    args.insert(args.end(), extra.begin(), extra.end());
    server_ = std::make_unique<ServerProcess>(
        DW_INFER_SERVER, args, dir_.file("server" + std::to_string(starts_++) + ".log"));
    ASSERT_TRUE(server_->started()) << server_->log();
    ASSERT_TRUE(server_->wait_ready()) << server_->log();
    client_ = std::make_unique<HttpClient>(server_->port());
  }

  // The request_id of one successful prediction.
  std::string predict(std::uint32_t seed = 1) {
    const std::string png = server::encode_png(dwtest::synthetic_image(28, 28, 1, seed));
    const auto res =
        client_->request("POST", "/predict", "{\"image\": \"" + common::base64_encode(png) + "\"}");
    EXPECT_TRUE(res && res->status == 200) << (res ? res->body : "no answer");
    return res ? json_string_field(res->body, "request_id") : "";
  }

  HttpResponse post_feedback(const std::string& body, const std::string& headers = "",
                             const std::string& content_type = "application/json") {
    const auto res = client_->request("POST", "/feedback", body, content_type, headers);
    EXPECT_TRUE(res) << "no answer to POST /feedback";
    return res ? *res : HttpResponse{};
  }

  // Every record now in the ring, oldest first.
  std::vector<ring::Record> ring_records() {
    ring::RingReader::Options o;
    o.name = dir_.file("ring");
    o.from_start = true;
    ring::RingReader reader(o);
    std::vector<ring::Record> out;
    ring::Record r;
    while (reader.poll(r)) out.push_back(r);
    return out;
  }
  std::vector<ring::Record> feedback_records() {
    std::vector<ring::Record> all = ring_records();
    all.erase(std::remove_if(all.begin(), all.end(),
                             [](const ring::Record& r) {
                               return r.fields.kind != ring::RecordKind::kFeedback;
                             }),
              all.end());
    return all;
  }
  // Runs loadgen against the server: 200 IDX requests at 400/s, `extra`
  // flags appended; returns its --json summary's "feedback" object as text.
  std::string run_loadgen(const std::string& extra) {
    const std::string command =
        std::string(DW_LOADGEN) + " --url http://127.0.0.1:" + std::to_string(server_->port()) +
        "/predict --idx " + dir_.file("t-images-idx3-ubyte.gz") +
        " --rate 400 --max-requests 200 --connections 4 --json --no-progress " + extra + " > " +
        dir_.file("summary.json") + " 2> " + dir_.file("loadgen.err");
    EXPECT_EQ(std::system(command.c_str()), 0) << dwtest::read_file(dir_.file("loadgen.err"));
    return dwtest::read_file(dir_.file("summary.json"));
  }
  // An IDX images file of `count` 28x28 images and its labels (image i: class i % 10).
  void write_idx_payloads(std::uint32_t count) {
    std::vector<std::uint8_t> pixels;
    std::vector<std::uint8_t> labels;
    for (std::uint32_t i = 0; i < count; ++i) {
      for (std::uint32_t p = 0; p < 28 * 28; ++p)
        pixels.push_back(static_cast<std::uint8_t>(i * 13 + p * 7));
      labels.push_back(static_cast<std::uint8_t>(i % 10));
    }
    dwtest::write_idx(dir_.file("t-images-idx3-ubyte.gz"), 0x00000803u, {count, 28, 28}, pixels);
    dwtest::write_idx(dir_.file("t-labels-idx1-ubyte.gz"), 0x00000801u, {count}, labels);
  }

  std::uint64_t ring_generation() {
    ring::RingReader::Options o;
    o.name = dir_.file("ring");
    return ring::RingReader(o).generation();
  }

  dwtest::TempDir dir_{"feedback-test"};
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<HttpClient> client_;
  int starts_ = 0;
};

}  // namespace

TEST_F(FeedbackTest, APredictionsRequestIdNamesItsGenerationAndRingRecord) {
  start();
  const std::string id = predict();
  const auto key = server::parse_request_id(id);
  ASSERT_TRUE(key) << id;
  EXPECT_EQ(key->generation, ring_generation());
  const auto records = ring_records();
  const auto it = std::find_if(records.begin(), records.end(), [](const ring::Record& r) {
    return r.fields.handler == ring::Handler::kPredict;
  });
  ASSERT_NE(it, records.end());
  EXPECT_EQ(it->fields.request_id, key->request_id);
  EXPECT_EQ(it->fields.kind, ring::RecordKind::kRequest);
}

TEST_F(FeedbackTest, RequestIdsStayUniqueAcrossRestartsAndAFreshRing) {
  std::vector<std::string> ids;
  start();
  ids.push_back(predict());
  ids.push_back(predict());
  const std::uint64_t g1 = ring_generation();
  start();  // the same ring name: the next generation
  ids.push_back(predict());
  EXPECT_EQ(ring_generation(), g1 + 1);
  // A fresh /dev/shm (new pod, reboot): no segment to follow, so the first
  // generation comes from the clock, never 1 again.
  server_->stop();
  server_.reset();
  std::remove(dir_.file("ring").c_str());
  start();
  ids.push_back(predict());
  EXPECT_GT(ring_generation(), 1'600'000'000u);
  std::vector<std::string> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::unique(sorted.begin(), sorted.end()), sorted.end()) << ids[0] << " " << ids[2];
  for (const std::string& id : ids) EXPECT_TRUE(server::parse_request_id(id)) << id;
}

TEST_F(FeedbackTest, EachLabelBecomesOneFeedbackRecordAndTheRequestItsOwn) {
  start();
  const std::string a = predict(1);
  const std::string b = predict(2);
  const std::string c = predict(3);
  auto res = post_feedback(label_json(a, R"("label": "Trouser")"));
  EXPECT_EQ(res.status, 202) << res.body;
  EXPECT_EQ(json_int_field(res.body, "accepted"), 1);
  res = post_feedback("[" + label_json(b, R"("class_index": 9, "source": "random")") + "," +
                      label_json(c, R"("label": "Bag", "source": "corrected")") + "," +
                      label_json(a, R"("class_index": 0, "source": "flagged")") + "]");
  EXPECT_EQ(res.status, 202) << res.body;
  EXPECT_EQ(json_int_field(res.body, "accepted"), 3);

  const auto before = std::chrono::system_clock::now();
  const auto records = feedback_records();
  ASSERT_EQ(records.size(), 4u);
  struct Want {
    std::string id;
    int true_class;
    ring::FeedbackSource source;
  };
  const Want want[] = {{a, 1, ring::FeedbackSource::kOther},
                       {b, 9, ring::FeedbackSource::kRandom},
                       {c, 8, ring::FeedbackSource::kCorrected},
                       {a, 0, ring::FeedbackSource::kFlagged}};
  for (std::size_t i = 0; i < 4; ++i) {
    SCOPED_TRACE(i);
    const auto& f = records[i].fields;
    const auto key = server::parse_request_id(want[i].id);
    ASSERT_TRUE(key);
    EXPECT_EQ(f.request_id, key->request_id);
    EXPECT_EQ(f.labelled_generation, key->generation);
    EXPECT_EQ(f.class_index, want[i].true_class);
    EXPECT_EQ(f.feedback_source, want[i].source);
    EXPECT_EQ(f.latency_total_ns, 0u);
    EXPECT_EQ(f.embedding_count, 0u);
    const auto age = before.time_since_epoch() - std::chrono::nanoseconds(f.timestamp_ns);
    EXPECT_GE(age, std::chrono::seconds(0));
    EXPECT_LT(age, std::chrono::seconds(60));
  }
  // Both POSTs also left their ordinary request record.
  int feedback_requests = 0;
  for (const auto& r : ring_records()) {
    if (r.fields.kind == ring::RecordKind::kRequest &&
        r.fields.handler == ring::Handler::kFeedback) {
      EXPECT_EQ(r.fields.http_status, 202);
      EXPECT_EQ(r.fields.method, ring::Method::kPost);
      ++feedback_requests;
    }
  }
  EXPECT_EQ(feedback_requests, 2);
}

TEST_F(FeedbackTest, EveryBadBodyGetsItsStatusAndCodeAndNoFeedbackRecord) {
  start();
  const std::string id = predict();
  const std::string ok = label_json(id, R"("label": "Trouser")");
  struct Case {
    const char* what;
    std::string body;
    int status;
    const char* code;
    std::int64_t index;  // -1: no "index" in the answer
  };
  std::string too_many = "[";
  for (int i = 0; i < 1001; ++i) too_many += (i ? "," : "") + ok;
  too_many += "]";
  const std::vector<Case> cases = {
      {"no body", "", 422, "empty_body", -1},
      {"not JSON", "{\"request_id\": ", 422, "invalid_json", -1},
      {"a number", "42", 422, "invalid_feedback", -1},
      {"missing request_id", R"({"label": "Trouser"})", 422, "missing_request_id", -1},
      {"numeric request_id", R"({"request_id": 5, "label": "Trouser"})", 422, "invalid_request_id",
       -1},
      {"malformed request_id", label_json("12345", R"("label": "Trouser")"), 422,
       "invalid_request_id", -1},
      {"no label", label_json(id, R"("source": "random")"), 422, "missing_label", -1},
      {"label and index", label_json(id, R"("label": "Trouser", "class_index": 1)"), 422,
       "conflicting_label", -1},
      {"unknown label", label_json(id, R"("label": "Spaceship")"), 422, "unknown_label", -1},
      {"label not a string", label_json(id, R"("label": 3)"), 422, "unknown_label", -1},
      {"index out of range", label_json(id, R"("class_index": 10)"), 422,
       "class_index_out_of_range", -1},
      {"negative index", label_json(id, R"("class_index": -1)"), 422, "class_index_out_of_range",
       -1},
      {"fractional index", label_json(id, R"("class_index": 1.5)"), 422, "invalid_class_index", -1},
      {"unknown source", label_json(id, R"("label": "Trouser", "source": "crowd")"), 422,
       "unknown_source", -1},
      {"empty array", "[]", 422, "empty_batch", -1},
      {"array too long", too_many, 422, "too_many_labels", -1},
      {"bad element", "[" + ok + "," + ok + "," + label_json(id, R"("label": "Nope")") + "]", 422,
       "unknown_label", 2},
      {"element not an object", "[" + ok + ", 7]", 422, "invalid_feedback", 1},
      {"body too large", "[" + ok + std::string(1100000, ' ') + "]", 413, "body_too_large", -1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const HttpResponse res = post_feedback(c.body);
    EXPECT_EQ(res.status, c.status) << res.body;
    EXPECT_EQ(res.header("content-type"), "application/json");
    EXPECT_EQ(json_string_field(res.body, "error"), c.code) << res.body;
    EXPECT_NE(json_string_field(res.body, "detail"), "<missing>") << res.body;
    EXPECT_EQ(json_int_field(res.body, "index"), c.index) << res.body;
  }
  EXPECT_EQ(post_feedback(ok, "", "text/plain").status, 415);
  const auto get = client_->request("GET", "/feedback");
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 405);
  EXPECT_EQ(get->header("allow"), "POST");

  EXPECT_TRUE(feedback_records().empty()) << "a refused body must leave no feedback record";
  std::size_t refused_records = 0;
  for (const auto& r : ring_records()) {
    if (r.fields.handler == ring::Handler::kFeedback && r.fields.http_status >= 400)
      ++refused_records;
  }
  EXPECT_EQ(refused_records, cases.size() + 2);
}

TEST_F(FeedbackTest, AThousandLabelsInOneArrayBecomeAThousandRecords) {
  start();
  const std::string id = predict();
  std::string body = "[";
  for (int i = 0; i < 1000; ++i)
    body += (i ? "," : "") + label_json(id, "\"class_index\": " + std::to_string(i % 10));
  body += "]";
  const HttpResponse res = post_feedback(body);
  EXPECT_EQ(res.status, 202) << res.body;
  EXPECT_EQ(json_int_field(res.body, "accepted"), 1000);
  const auto records = feedback_records();
  ASSERT_EQ(records.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(records[i].fields.class_index, i % 10);
}

TEST_F(FeedbackTest, ATokenFileRequiresTheBearerTokenAndTheTokenIsNeverLogged) {
  const std::string token = "tok-3f9a1c27e5b84d06";
  dwtest::write_file(dir_.file("token"), token + "\n");
  start({"--feedback-token-file", dir_.file("token")});
  const std::string ok = label_json(predict(), R"("label": "Trouser")");
  HttpResponse res = post_feedback(ok);
  EXPECT_EQ(res.status, 401) << res.body;
  EXPECT_EQ(json_string_field(res.body, "error"), "unauthorized");
  EXPECT_NE(res.header("www-authenticate").find("Bearer"), std::string::npos);
  res = post_feedback(ok, "Authorization: Bearer tok-wrong\r\n");
  EXPECT_EQ(res.status, 401) << res.body;
  res = post_feedback(ok, "Authorization: Basic " + token + "\r\n");
  EXPECT_EQ(res.status, 401) << res.body;
  EXPECT_EQ(res.body.find(token), std::string::npos);
  res = post_feedback(ok, "Authorization: Bearer " + token + "\r\n");
  EXPECT_EQ(res.status, 202) << res.body;
  EXPECT_EQ(feedback_records().size(), 1u);
  // /predict and the rest need no token.
  EXPECT_FALSE(predict().empty());
  server_->stop();
  EXPECT_EQ(server_->log().find(token), std::string::npos) << "the token is in the log";
  server_.reset();
  // Without the flag, the same server takes labels from anyone.
  start();
  EXPECT_EQ(post_feedback(label_json(predict(), R"("label": "Trouser")")).status, 202);
}

TEST_F(FeedbackTest, ATokenFileThatIsMissingOrEmptyEndsTheStartWithOneClearLine) {
  dwtest::write_file(dir_.file("empty-token"), "\n");
  for (const std::string& file : {dir_.file("no-such-token"), dir_.file("empty-token")}) {
    SCOPED_TRACE(file);
    ServerProcess p(DW_INFER_SERVER,
                    {"--model", dir_.file("model.pt"), "--model-config", dir_.file("model.json"),
                     "--no-ring", "--feedback-token-file", file},
                    dir_.file("bad-token.log"));
    EXPECT_EQ(p.wait_exit(std::chrono::seconds(60)), 1);
    EXPECT_NE(p.log().find("--feedback-token-file " + file), std::string::npos) << p.log();
  }
}

TEST_F(FeedbackTest, WithoutARingIdsAreStillIssuedAndLabelsAccepted) {
  start({"--no-ring"});
  const std::string a = predict(1);
  const std::string b = predict(2);
  const auto ka = server::parse_request_id(a);
  const auto kb = server::parse_request_id(b);
  ASSERT_TRUE(ka && kb) << a << " " << b;
  EXPECT_EQ(ka->generation, kb->generation);
  EXPECT_GT(ka->generation, 1'600'000'000u);  // the start time, in seconds
  EXPECT_NE(ka->request_id, kb->request_id);
  const HttpResponse res = post_feedback(label_json(a, R"("label": "Trouser")"));
  EXPECT_EQ(res.status, 202) << res.body;
}

// loadgen --feedback-share against the real server: exactly its share of the
// answered IDX requests comes back as random-source feedback records, each
// naming its prediction with the true class loadgen logged.
TEST_F(FeedbackTest, LoadgenSendsExactlyItsShareOfTrueLabelsAndLogsEach) {
  write_idx_payloads(40);
  start();
  const std::string summary =
      run_loadgen("--error-share 0.1 --feedback-share 0.25 --feedback-delay-ms 40 --feedback-log " +
                  dir_.file("labels.tsv"));
  simdjson::dom::parser parser;
  simdjson::padded_string text(summary);
  simdjson::dom::element feedback;
  ASSERT_EQ(parser.parse(text)["feedback"].get(feedback), simdjson::SUCCESS) << summary;
  // 200 requests, 20 malformed: 180 labelled answers, a quarter of them picked.
  EXPECT_EQ(std::uint64_t(feedback["picked"]), 45u) << summary;
  EXPECT_EQ(std::uint64_t(feedback["sent"]), 45u) << summary;
  EXPECT_EQ(std::uint64_t(feedback["accepted"]), 45u) << summary;
  EXPECT_EQ(std::uint64_t(feedback["failed"]), 0u) << summary;

  // The ring: one random-source feedback record per label, for a prediction
  // this generation answered with the class loadgen logged.
  std::map<std::uint64_t, int> predicted;  // request id -> class
  std::vector<ring::Record> records;
  for (const auto& r : ring_records()) {
    if (r.fields.kind == ring::RecordKind::kFeedback) records.push_back(r);
    if (r.fields.kind == ring::RecordKind::kRequest &&
        r.fields.handler == ring::Handler::kPredict && r.fields.http_status == 200)
      predicted[r.fields.request_id] = r.fields.class_index;
  }
  ASSERT_EQ(records.size(), 45u);
  std::istringstream log(dwtest::read_file(dir_.file("labels.tsv")));
  std::string line;
  std::getline(log, line);
  EXPECT_EQ(line, "request_id\ttrue_class\tpredicted_class\tstatus");
  std::map<std::uint64_t, int> logged_true;
  while (std::getline(log, line)) {
    std::istringstream fields(line);
    std::string id;
    int true_class = -1, predicted_class = -1, status = 0;
    fields >> id >> true_class >> predicted_class >> status;
    const auto key = server::parse_request_id(id);
    ASSERT_TRUE(key) << line;
    EXPECT_EQ(key->generation, ring_generation());
    EXPECT_EQ(status, 202) << line;
    EXPECT_EQ(predicted.at(key->request_id), predicted_class) << line;
    logged_true[key->request_id] = true_class;
  }
  ASSERT_EQ(logged_true.size(), 45u);
  for (const auto& r : records) {
    EXPECT_EQ(r.fields.feedback_source, ring::FeedbackSource::kRandom);
    EXPECT_EQ(r.fields.labelled_generation, ring_generation());
    ASSERT_EQ(logged_true.count(r.fields.request_id), 1u);
    EXPECT_EQ(r.fields.class_index, logged_true[r.fields.request_id]);
  }
}

TEST_F(FeedbackTest, LoadgenSendsTheTokenFileAndWithoutItEveryLabelIsCountedFailed) {
  write_idx_payloads(20);
  dwtest::write_file(dir_.file("token"), "tok-loadgen-81d2\n");
  start({"--feedback-token-file", dir_.file("token")});
  const auto feedback_of = [](const std::string& summary) {
    simdjson::dom::parser parser;
    simdjson::padded_string text(summary);
    std::uint64_t picked = 0, accepted = 0, failed = 0;
    simdjson::dom::element f;
    EXPECT_EQ(parser.parse(text)["feedback"].get(f), simdjson::SUCCESS) << summary;
    EXPECT_EQ(f["picked"].get(picked), simdjson::SUCCESS);
    EXPECT_EQ(f["accepted"].get(accepted), simdjson::SUCCESS);
    EXPECT_EQ(f["failed"].get(failed), simdjson::SUCCESS);
    return std::vector<std::uint64_t>{picked, accepted, failed};
  };
  // 200 answers, a tenth picked: refused with 401 and counted, never lost.
  EXPECT_EQ(feedback_of(run_loadgen("--feedback-share 0.1")),
            (std::vector<std::uint64_t>{20, 0, 20}));
  EXPECT_TRUE(feedback_records().empty());
  EXPECT_EQ(
      feedback_of(run_loadgen("--feedback-share 0.1 --feedback-token-file " + dir_.file("token"))),
      (std::vector<std::uint64_t>{20, 20, 0}));
  EXPECT_EQ(feedback_records().size(), 20u);
}

// Ctrl-C while labels wait for their delay: loadgen ends at once, the summary
// counts them unsent, and none reaches the server.
TEST_F(FeedbackTest, LoadgenStoppedBeforeItsLabelsAreDueCountsThemUnsent) {
  write_idx_payloads(20);
  start();
  dwtest::ChildProcess loadgen(
      DW_LOADGEN,
      {"--url", "http://127.0.0.1:" + std::to_string(server_->port()) + "/predict", "--idx",
       dir_.file("t-images-idx3-ubyte.gz"), "--rate", "400", "--max-requests", "40",
       "--feedback-share", "0.5", "--feedback-delay-ms", "600000", "--json", "--no-progress"},
      dir_.file("loadgen.err"));
  ASSERT_TRUE(loadgen.spawned());
  const auto predictions = [this] {
    std::size_t n = 0;
    for (const auto& r : ring_records()) n += r.fields.handler == ring::Handler::kPredict;
    return n;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (predictions() < 40 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_EQ(predictions(), 40u);
  EXPECT_TRUE(loadgen.running()) << "loadgen must wait for its labels' delay";
  const auto status = loadgen.stop(SIGINT, std::chrono::seconds(30));
  ASSERT_TRUE(status) << "loadgen did not end on SIGINT";
  EXPECT_EQ(dwtest::exit_code(*status), 0) << loadgen.log();
  // loadgen prints no "listening on" line: this returns once its stdout is read to the end.
  loadgen.wait_for_port(std::chrono::seconds(10));
  const std::string summary = loadgen.stdout_text();
  simdjson::dom::parser parser;
  simdjson::padded_string text(summary);
  simdjson::dom::element f;
  ASSERT_EQ(parser.parse(text)["feedback"].get(f), simdjson::SUCCESS) << summary;
  EXPECT_EQ(std::uint64_t(f["picked"]), 20u) << summary;
  EXPECT_EQ(std::uint64_t(f["unsent"]), 20u) << summary;
  EXPECT_EQ(std::uint64_t(f["sent"]), 0u) << summary;
  EXPECT_TRUE(feedback_records().empty());
}
