// server-dct-effect: what --jpeg-dct-scaling changes, measured against the
// exact PIL-compatible path on the same JPEGs, through a real model.
//
//   server-dct-effect MODEL.pt MODEL.json [IMAGES_PER_SIZE]
//
// For photo-like JPEGs (q90) at 0.3, 2 and 12 MP: the decode + preprocess
// time of both paths, the preprocessed tensor's distance (max and mean
// |difference|), and on the model's outputs the top-1 agreement, the largest
// change of the top-1 probability and the embedding's cosine similarity.
// Prints a Markdown table.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "server/image.h"
#include "server/model_config.h"
#include "server/model_runner.h"
#include "server/preprocess.h"
#include "tests/server/bench/photo_like.h"

using namespace driftwatch::server;
using Clock = std::chrono::steady_clock;

namespace {

struct Prepared {
  std::vector<float> x;
  double ms = 0;
  int width = 0;
};

Prepared prepare(const std::string& jpeg, const ModelConfig& c, const DecodeOptions& o) {
  Prepared p;
  std::vector<double> times;
  for (int i = 0; i < 3; ++i) {
    const auto t0 = Clock::now();
    Image img;
    if (!decode_image(reinterpret_cast<const std::uint8_t*>(jpeg.data()), jpeg.size(), 100'000'000,
                      img, o)
             .ok())
      std::abort();
    preprocess(img, c, p.x);
    times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    p.width = img.width;
  }
  std::sort(times.begin(), times.end());
  p.ms = times[1];
  return p;
}

std::size_t argmax(const std::vector<float>& v) {
  return static_cast<std::size_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: server-dct-effect MODEL.pt MODEL.json [IMAGES_PER_SIZE]\n");
    return 2;
  }
  const int per_size = argc > 3 ? std::max(1, std::atoi(argv[3])) : 8;
  ModelRunner::Options mo;
  mo.path = argv[1];
  mo.config = load_model_config(argv[2]);
  ModelRunner model(mo);
  const ModelConfig& c = model.config();
  const DecodeOptions dct = dct_scaling_for(c);
  struct Size {
    const char* name;
    int w, h;
  };
  const Size sizes[] = {{"0.3 MP (640x480)", 640, 480},
                        {"2 MP (1632x1224)", 1632, 1224},
                        {"12 MP (4032x3024)", 4032, 3024}};
  std::printf(
      "| image | decoded at | exact ms | DCT ms | tensor max abs diff | tensor mean abs diff | "
      "top-1 agree | max top-1 prob change | min embedding cosine |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  for (const Size& s : sizes) {
    double exact_ms = 0, dct_ms = 0, max_d = 0, mean_d = 0, max_dp = 0, min_cos = 1;
    int agree = 0, decoded_w = 0;
    for (int i = 0; i < per_size; ++i) {
      const std::string jpeg = encode_jpeg(dwbench::photo_like(s.w, s.h, 100 + i), 90);
      const Prepared a = prepare(jpeg, c, {});
      const Prepared b = prepare(jpeg, c, dct);
      exact_ms += a.ms / per_size;
      dct_ms += b.ms / per_size;
      decoded_w = b.width;
      double sum = 0;
      for (std::size_t k = 0; k < a.x.size(); ++k) {
        const double d = std::abs(static_cast<double>(a.x[k]) - b.x[k]);
        max_d = std::max(max_d, d);
        sum += d;
      }
      mean_d += sum / a.x.size() / per_size;
      const ModelOutput oa = model.run_one(a.x.data());
      const ModelOutput ob = model.run_one(b.x.data());
      const std::size_t ka = argmax(oa.probabilities);
      agree += ka == argmax(ob.probabilities);
      max_dp = std::max(max_dp,
                        static_cast<double>(std::abs(oa.probabilities[ka] - ob.probabilities[ka])));
      double dot = 0, na = 0, nb = 0;
      for (std::size_t k = 0; k < oa.embedding.size(); ++k) {
        dot += oa.embedding[k] * ob.embedding[k];
        na += oa.embedding[k] * oa.embedding[k];
        nb += ob.embedding[k] * ob.embedding[k];
      }
      min_cos = std::min(min_cos, dot / std::sqrt(na * nb));
    }
    std::printf("| %s | %d wide | %.2f | %.2f | %.4f | %.5f | %d/%d | %.2e | %.7f |\n", s.name,
                decoded_w, exact_ms, dct_ms, max_d, mean_d, agree, per_size, max_dp, min_cos);
  }
  return 0;
}
