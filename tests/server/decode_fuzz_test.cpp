// Fuzz-style robustness test of everything the request path runs on
// untrusted bytes before the model: base64, JPEG/PNG decoding with the pixel
// limit, preprocessing, and the model-config parser. Mutations of valid inputs
// (bit flips, truncation, splices, header edits), deterministic by seed. Run
// it in the asan preset to catch memory errors; here it checks outcomes stay
// well-formed.
#include <gtest/gtest.h>

#include <random>

#include "server/image.h"
#include "server/model_config.h"
#include "server/preprocess.h"
#include "shared/common/base64.h"
#include "tests/server/support/test_images.h"

using namespace driftwatch::server;
using driftwatch::common::base64_decode;
using driftwatch::common::base64_encode;

namespace {

std::string mutate(const std::string& in, std::mt19937& rng) {
  std::string s = in;
  const int kind = static_cast<int>(rng() % 6);
  auto pos = [&](std::size_t n) { return n == 0 ? 0 : rng() % n; };
  switch (kind) {
    case 0:  // flip a few bits
      for (int i = 0, n = 1 + rng() % 8; i < n && !s.empty(); ++i)
        s[pos(s.size())] ^= static_cast<char>(1 << (rng() % 8));
      break;
    case 1:  // truncate
      s.resize(pos(s.size() + 1));
      break;
    case 2:  // overwrite a run with random bytes
      for (std::size_t i = pos(s.size()), n = 1 + rng() % 32; i < s.size() && n > 0; ++i, --n)
        s[i] = static_cast<char>(rng());
      break;
    case 3:  // duplicate a chunk
      if (!s.empty()) {
        const std::size_t a = pos(s.size()), len = 1 + rng() % 64;
        s.insert(pos(s.size()), s.substr(a, len));
      }
      break;
    case 4:  // poke a byte in the header area (dimensions, markers)
      if (s.size() > 2) s[pos(std::min<std::size_t>(s.size(), 64))] = static_cast<char>(rng());
      break;
    default:  // random bytes after a valid prefix
      s.resize(pos(s.size() + 1));
      for (int i = 0, n = rng() % 256; i < n; ++i) s.push_back(static_cast<char>(rng()));
  }
  return s;
}

ModelConfig rgb_config() {
  return parse_model_config(
      R"({"name":"f","input":{"channels":3,"height":16,"width":16},
    "resize":18,"center_crop":16,"mean":[0.5,0.5,0.5],"std":[0.2,0.2,0.2],"class_names":["a"]})");
}

}  // namespace

TEST(DecodeFuzz, MutatedImagesNeverMisbehave) {
  const std::vector<std::string> seeds = {
      encode_jpeg(dwtest::synthetic_image(40, 30, 3, 1), 85),
      encode_jpeg(dwtest::synthetic_image(28, 28, 1, 2), 90),
      encode_png(dwtest::synthetic_image(33, 17, 3, 3)),
      encode_png(dwtest::synthetic_image(28, 28, 1, 4)),
      dwtest::png_claiming(5000, 5000),
  };
  const ModelConfig cfg = rgb_config();
  std::mt19937 rng(20240607);
  int decoded = 0;
  std::vector<float> tensor;
  for (int iter = 0; iter < 4000; ++iter) {
    const std::string bytes = mutate(seeds[iter % seeds.size()], rng);
    Image img;
    const DecodeResult r = decode_image(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                        bytes.size(), 1'000'000, img);
    if (r.ok()) {
      ++decoded;
      ASSERT_GT(img.width, 0);
      ASSERT_GT(img.height, 0);
      ASSERT_TRUE(img.channels == 1 || img.channels == 3);
      ASSERT_EQ(img.pixels.size(), static_cast<std::size_t>(img.width) * img.height * img.channels);
      ASSERT_LE(static_cast<std::uint64_t>(img.width) * img.height, 1'000'000u);
      preprocess(img, cfg, tensor);
      ASSERT_EQ(tensor.size(), input_size(cfg));
    } else {
      ASSERT_FALSE(r.detail.empty());
      ASSERT_TRUE(img.pixels.empty());
      // A failed decode must not poison this thread's decoder for the next,
      // valid image (it did once: a TurboJPEG handle reused after an error).
      Image good;
      ASSERT_TRUE(decode_image(reinterpret_cast<const std::uint8_t*>(seeds[0].data()),
                               seeds[0].size(), 1'000'000, good)
                      .ok())
          << "after a failure at iteration " << iter;
    }
  }
  // Many mutations leave a decodable image: the decode path itself was
  // exercised.
  EXPECT_GT(decoded, 100);
}

TEST(DecodeFuzz, MutatedBase64NeverMisbehaves) {
  std::mt19937 rng(7);
  const std::string valid = base64_encode(encode_png(dwtest::synthetic_image(9, 9, 3, 5)));
  std::string out;
  for (int iter = 0; iter < 20000; ++iter) {
    const std::string s = mutate(valid, rng);
    if (base64_decode(s, out)) {
      // Whatever decodes re-encodes to the same text minus line breaks.
      std::string stripped;
      for (char c : s)
        if (c != '\r' && c != '\n') stripped.push_back(c);
      ASSERT_EQ(base64_encode(out), stripped);
    }
  }
}

TEST(DecodeFuzz, MutatedModelConfigsOnlyEverThrowModelConfigError) {
  std::mt19937 rng(11);
  const std::string valid = dwtest::read_file(DW_SOURCE_DIR "/configs/models/fashion-mnist.json");
  ASSERT_FALSE(valid.empty());
  for (int iter = 0; iter < 5000; ++iter) {
    const std::string s = mutate(valid, rng);
    try {
      const ModelConfig c = parse_model_config(s);
      ASSERT_TRUE(c.channels == 1 || c.channels == 3);
      ASSERT_EQ(c.mean.size(), static_cast<std::size_t>(c.channels));
      ASSERT_FALSE(c.class_names.empty());
    } catch (const ModelConfigError&) {
    }
  }
}
