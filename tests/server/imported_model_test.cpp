// The tutorial's kind of model end to end: a torchvision MobileNetV2 (11
// classes, seeded random weights) saved whole with torch.save, imported with
// tools/import_model, served by the real infer-server. /predict must agree
// with the original module run in Python on the same preprocessed tensor, and
// the embedding in the ring with the module's pooled 1280-d features.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "server/image.h"
#include "server/model_config.h"
#include "server/preprocess.h"
#include "shared/common/base64.h"
#include "shared/ring/ring_reader.h"
#include "tests/server/support/http_client.h"
#include "tests/server/support/server_process.h"
#include "tests/server/support/test_images.h"
#include "tests/support/small_tmpfs.h"

using namespace driftwatch;

namespace {

const std::string kSource = DW_SOURCE_DIR;
const std::string kFixture = kSource + "/tests/tools/import_model/mobilenet_fixture.py";

int run(const std::string& command) {
  const int rc = std::system(command.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// "probs v..." and "pooled v..." lines written by mobilenet_fixture.py.
std::vector<float> reference_row(const std::string& path, const std::string& tag) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream s(line);
    std::string t;
    s >> t;
    if (t != tag) continue;
    std::vector<float> v;
    for (double x; s >> x;) v.push_back(static_cast<float>(x));
    return v;
  }
  return {};
}

TEST(ImportedMobileNet, ServesLikeTheOriginalModuleAndRingsItsPooledFeatures) {
  const dwtest::TempDir tmp("mobilenet");
  const std::string& dir = tmp.path();
  const int made = run("/usr/bin/python3 " + kFixture + " make " + dir);
  if (made == 77) GTEST_SKIP() << "/usr/bin/python3 lacks torch or torchvision";
  ASSERT_EQ(made, 0);
  ASSERT_EQ(run("/usr/bin/python3 " + kSource + "/tools/import_model/import_model.py " + dir +
                "/food11.pth " + dir + "/food11.pt --config " + kSource +
                "/configs/models/food-11.json > " + dir + "/import.txt 2>&1"),
            0)
      << dwtest::read_file(dir + "/import.txt");
  EXPECT_NE(dwtest::read_file(dir + "/import.txt").find("logits equal the original's"),
            std::string::npos);

  // A photo-sized RGB PNG (lossless, so Python sees the same pixels) and the
  // server's own preprocessing of it, which Python then runs the module on.
  const server::Image photo = dwtest::synthetic_image(320, 240, 3, 11);
  const std::string png = server::encode_png(photo);
  const server::ModelConfig cfg = server::load_model_config(dir + "/food11.json");
  std::vector<float> x;
  server::preprocess(photo, cfg, x);
  ASSERT_EQ(x.size(), 3u * 224 * 224);
  dwtest::write_file(dir + "/x.bin", std::string(reinterpret_cast<const char*>(x.data()),
                                                 x.size() * sizeof(float)));
  ASSERT_EQ(run("/usr/bin/python3 " + kFixture + " reference " + dir), 0);
  const auto probs = reference_row(dir + "/reference.txt", "probs");
  const auto pooled = reference_row(dir + "/reference.txt", "pooled");
  ASSERT_EQ(probs.size(), 11u);
  ASSERT_EQ(pooled.size(), 1280u);

  // The ring on a small tmpfs when we can mount one (as in a container): the
  // D=1280 ring must fit at start and take several laps without a fault.
  dwtest::SmallTmpfs shm(1 << 20);
  const std::string ring = (shm.available() ? shm.dir() : dir) + "/ring";
  dwtest::ServerProcess server(
      DW_INFER_SERVER,
      {"--model", dir + "/food11.pt", "--ring", ring, "--ring-bytes", "700000", "--infer-threads",
       "2", "--warmup", "2", "--log-level", "debug"},
      dir + "/server.txt");
  ASSERT_TRUE(server.started()) << server.log();
  ASSERT_TRUE(server.wait_ready()) << server.log();
  ring::RingReader::Options ro;
  ro.name = ring;
  ring::RingReader reader(ro);
  ASSERT_EQ(reader.info().embedding_dim, 1280u);
  const std::uint32_t slots = reader.info().slot_count;
  EXPECT_EQ(slots, 64u);  // 64 x 5312 B + header (with the request counters) <= 700000

  dwtest::HttpClient client(server.port());
  const std::string body = "{\"image\": \"" + common::base64_encode(png) + "\"}";
  const int best = static_cast<int>(std::max_element(probs.begin(), probs.end()) - probs.begin());
  const int requests = static_cast<int>(slots) * 3;  // three laps of the ring
  int checked = 0;
  for (int i = 0; i < requests; ++i) {
    auto res = client.request("POST", "/predict", body);
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    if (i > 0) continue;
    simdjson::dom::parser parser;
    simdjson::dom::element j;
    ASSERT_EQ(parser.parse(simdjson::padded_string(res->body)).get(j), simdjson::SUCCESS);
    EXPECT_EQ(std::string(j["prediction"].get_string().value()), cfg.class_names[best]);
    EXPECT_EQ(j["class_index"].get_int64().value(), best);
    EXPECT_NEAR(j["probability"].get_double().value(), probs[best], 1e-4);
  }
  // Every record of the last lap carries the same pooled features.
  ring::Record r;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (checked < 8 && std::chrono::steady_clock::now() < deadline) {
    if (!reader.poll(r)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      continue;
    }
    if (r.fields.handler != ring::Handler::kPredict) continue;
    ASSERT_EQ(r.embedding.size(), 1280u);
    EXPECT_EQ(r.fields.class_index, best);
    float worst = 0;
    for (std::size_t k = 0; k < 1280; ++k)
      worst = std::max(worst,
                       std::abs(r.embedding[k] - pooled[k]) / std::max(1.0f, std::abs(pooled[k])));
    EXPECT_LE(worst, 1e-4f) << "ring embedding vs Python's pooled features";
    ++checked;
  }
  EXPECT_EQ(checked, 8);
  EXPECT_GE(reader.info().slot_count, 64u);
  EXPECT_EQ(server.stop(), 0) << server.log();
  const std::string log = server.log();
  EXPECT_NE(log.find("embedding 1280 (forward_tuple)"), std::string::npos) << log;
  EXPECT_EQ(log.find("runs twice"), std::string::npos) << log;
}

}  // namespace
