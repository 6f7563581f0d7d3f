// JPEG decode + preprocess of photographs at 0.3, 2 and 12 MP (Google
// Benchmark), the exact PIL-compatible path against TurboJPEG's DCT-domain
// downscaling (--jpeg-dct-scaling), for the Food-11 preprocessing (resize to
// 224x224, ImageNet mean/std).
//
//   server-decode-bench [--benchmark_filter=...]
//
// The images are synthetic but photo-like (smooth colour fields and a little
// grain, JPEG q90, 4:2:0), so entropy and decode cost are in the range of
// real photos. Counters on the DCT cases: how far the preprocessed tensor is
// from the exact one (max and mean |difference|, in normalized units, and in
// 8-bit levels before normalization), and the size actually decoded.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "server/image.h"
#include "server/model_config.h"
#include "server/preprocess.h"
#include "tests/server/bench/photo_like.h"

using namespace driftwatch::server;

namespace {

struct Size {
  const char* name;
  int width;
  int height;
};
constexpr Size kSizes[] = {{"0.3MP", 640, 480}, {"2MP", 1632, 1224}, {"12MP", 4032, 3024}};

const ModelConfig& food11() {
  static const ModelConfig c = load_model_config(DW_SOURCE_DIR "/configs/models/food-11.json");
  return c;
}

const std::string& jpeg(int i) {
  static std::string cache[3];
  if (cache[i].empty())
    cache[i] = encode_jpeg(dwbench::photo_like(kSizes[i].width, kSizes[i].height, 5 + i), 90);
  return cache[i];
}

void decode(const std::string& bytes, Image& out, const DecodeOptions& o) {
  if (!decode_image(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), 100'000'000,
                    out, o)
           .ok())
    std::abort();
}

void BM_Decode(benchmark::State& state) {
  const std::string& bytes = jpeg(static_cast<int>(state.range(0)));
  Image img;
  for (auto _ : state) decode(bytes, img, {});
  state.SetLabel(kSizes[state.range(0)].name);
  state.counters["jpeg_kB"] = bytes.size() / 1000.0;
}

void BM_DecodePreprocess(benchmark::State& state) {
  const int i = static_cast<int>(state.range(0));
  const bool dct = state.range(1) != 0;
  const std::string& bytes = jpeg(i);
  const DecodeOptions o = dct ? dct_scaling_for(food11()) : DecodeOptions{};
  Image img;
  std::vector<float> x;
  for (auto _ : state) {
    decode(bytes, img, o);
    preprocess(img, food11(), x);
    benchmark::DoNotOptimize(x.data());
  }
  state.SetLabel(std::string(kSizes[i].name) + (dct ? " dct-scaled" : " exact"));
  state.counters["decoded_w"] = img.width;
  state.counters["decoded_h"] = img.height;
  if (dct) {
    // The tensor's distance from the exact path's, for the docs.
    Image full;
    std::vector<float> exact;
    decode(bytes, full, {});
    preprocess(full, food11(), exact);
    double max_d = 0, sum_d = 0, max_levels = 0;
    const std::size_t plane = exact.size() / 3;
    for (std::size_t k = 0; k < exact.size(); ++k) {
      const double d = std::abs(static_cast<double>(exact[k]) - x[k]);
      max_d = std::max(max_d, d);
      sum_d += d;
      max_levels = std::max(max_levels, d * food11().std[k / plane] * 255.0);
    }
    state.counters["max_abs_diff"] = max_d;
    state.counters["mean_abs_diff"] = sum_d / exact.size();
    state.counters["max_diff_8bit_levels"] = max_levels;
  }
}

}  // namespace

BENCHMARK(BM_Decode)->DenseRange(0, 2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodePreprocess)->ArgsProduct({{0, 1, 2}, {0, 1}})->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
