// Dynamic batching through the real infer-server: a batched server answers
// a test set exactly as an unbatched one does, under 64 concurrent clients,
// and every ring record matches its answer. Bad batching and device flags
// are refused by name.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
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

using namespace driftwatch;
using dwtest::HttpClient;
using dwtest::ServerProcess;

namespace {

constexpr int kClients = 64;
constexpr std::size_t kImages = 512;

// What a /predict answer said.
struct Answer {
  int status = 0;
  std::int64_t class_index = -1;
  double probability = -1;
  std::vector<double> top_k_probability;
  // The answer's request_id ("<generation hex>-<id hex>"), parsed; zero
  // when it is missing or malformed.
  std::uint64_t generation = 0;
  std::uint64_t request_id = 0;
};

Answer parse_answer(int status, const std::string& body) {
  Answer a;
  a.status = status;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(body).get(root) != simdjson::SUCCESS) return a;
  if (root["class_index"].get_int64().get(a.class_index) != simdjson::SUCCESS) return a;
  if (root["probability"].get_double().get(a.probability) != simdjson::SUCCESS) return a;
  simdjson::dom::array top;
  if (root["top_k"].get_array().get(top) == simdjson::SUCCESS)
    for (simdjson::dom::element e : top) {
      double p = -1;
      if (e["probability"].get_double().get(p) == simdjson::SUCCESS)
        a.top_k_probability.push_back(p);
    }
  std::string_view id;
  if (root["request_id"].get_string().get(id) == simdjson::SUCCESS) {
    if (const auto key = server::parse_request_id(id)) {
      a.generation = key->generation;
      a.request_id = key->request_id;
    }
  }
  return a;
}

// `bodies` POSTed by kClients keep-alive clients at once (client c sends the
// bodies c, c + kClients, ...); the answers by body index.
std::vector<Answer> predict_all(int port, const std::vector<std::string>& bodies) {
  std::vector<Answer> answers(bodies.size());
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      HttpClient client(port);
      for (std::size_t i = static_cast<std::size_t>(c); i < bodies.size(); i += kClients) {
        auto res = client.request("POST", "/predict", bodies[i]);
        answers[i] = res ? parse_answer(res->status, res->body) : Answer{};
      }
    });
  }
  for (auto& t : clients) t.join();
  return answers;
}

class BatchingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dwtest::write_test_model(dir() + "/model.pt", dir() + "/model.json",
                             dwtest::ModelKind::kEmbedHead, dwtest::ModelSize::kDemo);
  }

  // A server on the demo CNN with a ring file named `name`.
  std::unique_ptr<ServerProcess> start(const std::string& name, std::vector<std::string> extra) {
    std::vector<std::string> args = {
        "--model", dir() + "/model.pt", "--ring", ring(name),    "--ring-slots",
        "4096",    "--drain-ms",        "0",      "--log-level", "info"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto p = std::make_unique<ServerProcess>(DW_INFER_SERVER, args, dir() + "/" + name + ".log");
    EXPECT_TRUE(p->started()) << p->log();
    EXPECT_TRUE(p->wait_ready()) << p->log();
    return p;
  }

  std::string ring(const std::string& name) const { return dir() + "/" + name + ".ring"; }
  const std::string& dir() const { return tmp_.path(); }

 private:
  dwtest::TempDir tmp_{"batching"};
};

std::vector<std::string> test_set() {
  std::vector<server::Image> images;
  if (dwtest::fashion_mnist_available()) images = dwtest::fashion_mnist_images(kImages);
  for (std::size_t i = images.size(); i < kImages; ++i)
    images.push_back(dwtest::synthetic_image(28, 28, 1, static_cast<std::uint32_t>(500 + i)));
  std::vector<std::string> bodies;
  for (const auto& img : images)
    bodies.push_back("{\"image\": \"" + common::base64_encode(server::encode_png(img)) + "\"}");
  return bodies;
}

}  // namespace

// The same test set through an unbatched and a batched server (64 clients
// each): the same class, probabilities within 1e-5. Then the batched
// server's ring: one record per answer, each matching it, with its queue
// wait set; and records sharing one forward (the same inference time to
// the nanosecond) show that batches did form.
TEST_F(BatchingTest, BatchedAnswersEqualUnbatchedOnesAndEachRecordMatchesItsAnswer) {
  const std::vector<std::string> bodies = test_set();
  std::vector<Answer> alone;
  {
    auto unbatched = start("alone", {"--max-batch", "1", "--infer-threads", "2"});
    alone = predict_all(unbatched->port(), bodies);
    EXPECT_EQ(unbatched->stop(), 0);
  }
  auto batched =
      start("batched", {"--max-batch", "16", "--batch-delay-us", "3000", "--infer-threads", "1"});
  ring::RingReader::Options ro;
  ro.name = ring("batched");
  ro.from_start = false;
  ring::RingReader reader(ro);
  const std::vector<Answer> together = predict_all(batched->port(), bodies);
  EXPECT_NE(batched->log().find("batching: up to 16 requests per forward"), std::string::npos)
      << batched->log();

  std::map<std::uint64_t, const Answer*> by_id;
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    SCOPED_TRACE("image " + std::to_string(i));
    ASSERT_EQ(alone[i].status, 200);
    ASSERT_EQ(together[i].status, 200);
    EXPECT_EQ(together[i].class_index, alone[i].class_index);
    EXPECT_NEAR(together[i].probability, alone[i].probability, 1e-5);
    ASSERT_EQ(together[i].top_k_probability.size(), alone[i].top_k_probability.size());
    for (std::size_t k = 0; k < alone[i].top_k_probability.size(); ++k)
      EXPECT_NEAR(together[i].top_k_probability[k], alone[i].top_k_probability[k], 1e-5);
    EXPECT_NE(together[i].request_id, 0u) << "no parsable request_id";
    EXPECT_EQ(together[i].generation, reader.generation()) << together[i].request_id;
    EXPECT_TRUE(by_id.emplace(together[i].request_id, &together[i]).second)
        << "request id " << together[i].request_id << " answered twice";
  }

  std::size_t records = 0;
  std::map<std::uint64_t, int> forwards;  // inference time -> records with it
  ring::Record r;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (records < bodies.size() && std::chrono::steady_clock::now() < deadline) {
    if (!reader.poll(r)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      continue;
    }
    if (r.fields.handler != ring::Handler::kPredict) continue;  // /readyz polls
    ++records;
    const auto& f = r.fields;
    auto it = by_id.find(f.request_id);
    ASSERT_NE(it, by_id.end()) << "a record for request " << f.request_id << ", never answered";
    EXPECT_EQ(f.http_status, 200);
    EXPECT_EQ(f.class_index, it->second->class_index) << f.request_id;
    EXPECT_NEAR(f.confidence, it->second->probability, 1e-5) << f.request_id;
    EXPECT_EQ(r.embedding.size(), reader.info().embedding_dim);
    EXPECT_GT(f.latency_queue_ns, 0u);
    EXPECT_GT(f.latency_preprocess_ns, 0u);
    EXPECT_GT(f.latency_inference_ns, 0u);
    EXPECT_GE(f.latency_total_ns,
              f.latency_queue_ns + f.latency_preprocess_ns + f.latency_inference_ns);
    ++forwards[f.latency_inference_ns];
  }
  EXPECT_EQ(records, bodies.size());
  EXPECT_EQ(reader.records_lost(), 0u);
  const int largest = std::max_element(forwards.begin(), forwards.end(), [](auto& a, auto& b) {
                        return a.second < b.second;
                      })->second;
  EXPECT_GT(largest, 1) << "no two requests shared a forward: nothing was batched";
  EXPECT_LE(largest, 16);
  EXPECT_EQ(batched->stop(), 0);
}

TEST(BatchingFlags, BadValuesAreRefusedByName) {
  const dwtest::TempDir tmp("batching-flags");
  dwtest::write_test_model(tmp.path() + "/m.pt", tmp.path() + "/m.json",
                           dwtest::ModelKind::kEmbedHead);
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--max-batch", "0"}, "--max-batch must be between 1 and 1024 (got 0)"},
      {{"--max-batch", "100000"}, "--max-batch must be between 1 and 1024 (got 100000)"},
      {{"--max-batch=-4"}, "--max-batch must be between 1 and 1024 (got -4)"},
      {{"--batch-delay-us=-1"}, "--batch-delay-us must be between 0 and 1000000"},
      {{"--batch-delay-us", "5000000"}, "--batch-delay-us must be between 0 and 1000000"},
      {{"--device", "tpu"}, "--device must be cpu, cuda or cuda:N (got 'tpu')"},
      {{"--device", "cuda:x"}, "--device must be cpu, cuda or cuda:N (got 'cuda:x')"},
  };
  int n = 0;
  for (const auto& [flags, message] : cases) {
    SCOPED_TRACE(flags.back());
    std::vector<std::string> args = {"--model", tmp.path() + "/m.pt", "--no-ring"};
    args.insert(args.end(), flags.begin(), flags.end());
    ServerProcess p(DW_INFER_SERVER, args, tmp.path() + "/log" + std::to_string(n++) + ".txt");
    EXPECT_EQ(p.wait_exit(std::chrono::seconds(60)), 2);
    EXPECT_NE(p.log().find(message), std::string::npos) << p.log();
  }
}

// A CUDA device this machine's LibTorch cannot give: one clear line, exit 1
// (a CPU LibTorch has no CUDA at all; a CUDA one has no 16th device here).
TEST(BatchingFlags, AnUnavailableCudaDeviceEndsTheProcessWithOneClearLine) {
  const dwtest::TempDir tmp("batching-cuda");
  dwtest::write_test_model(tmp.path() + "/m.pt", tmp.path() + "/m.json",
                           dwtest::ModelKind::kEmbedHead);
  ServerProcess p(DW_INFER_SERVER,
                  {"--model", tmp.path() + "/m.pt", "--no-ring", "--device", "cuda:15"},
                  tmp.path() + "/log.txt");
  EXPECT_EQ(p.wait_exit(std::chrono::seconds(60)), 1);
  const std::string log = p.log();
  EXPECT_TRUE(log.find("--device cuda:15: this LibTorch") != std::string::npos ||
              log.find("--device cuda:15: no such CUDA device") != std::string::npos)
      << log;
}
