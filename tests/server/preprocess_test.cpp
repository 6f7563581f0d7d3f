#include "server/preprocess.h"

#include <gtest/gtest.h>

#include <cmath>

#include "tests/server/support/test_images.h"

using namespace driftwatch::server;

namespace {
ModelConfig fashion() {
  return parse_model_config(
      R"({"name":"f","version":"1","input":{"channels":1,"height":28,"width":28},
    "resize":28,"center_crop":28,"mean":[0.2860],"std":[0.3530],"class_names":["a","b"]})");
}
Image constant(int w, int h, int c, std::uint8_t v) {
  Image img;
  img.width = w;
  img.height = h;
  img.channels = c;
  img.pixels.assign(static_cast<std::size_t>(w) * h * c, v);
  return img;
}
}  // namespace

TEST(Preprocess, FashionItemIsScaledAndNormalizedExactly) {
  const Image img = dwtest::synthetic_image(28, 28, 1, 9);
  std::vector<float> t;
  preprocess(img, fashion(), t);
  ASSERT_EQ(t.size(), 784u);
  for (std::size_t i = 0; i < t.size(); ++i)
    ASSERT_EQ(t[i], (img.pixels[i] / 255.0f - 0.2860f) / 0.3530f) << i;
}

TEST(Preprocess, RgbToGrayUsesRec601LumaWithPilRounding) {
  Image rgb = constant(1, 1, 3, 0);
  rgb.pixels = {200, 100, 50};
  const Image g = convert_channels(rgb, 1);
  ASSERT_EQ(g.channels, 1);
  // 0.299*200 + 0.587*100 + 0.114*50 = 124.2
  EXPECT_EQ(g.pixels[0], (200 * 19595 + 100 * 38470 + 50 * 7471 + 0x8000) >> 16);
  EXPECT_EQ(g.pixels[0], 124);
  const Image back = convert_channels(g, 3);
  EXPECT_EQ(back.pixels, (std::vector<std::uint8_t>{124, 124, 124}));
}

TEST(Preprocess, ResizeKeepsTheAspectRatioOfTheShorterSide) {
  int w = 0, h = 0;
  resized_size(100, 50, 28, w, h);
  EXPECT_EQ(w, 56);
  EXPECT_EQ(h, 28);
  resized_size(50, 101, 28, w, h);
  EXPECT_EQ(w, 28);
  EXPECT_EQ(h, 56);  // int(28 * 101 / 50) = int(56.56)
}

TEST(Preprocess, ResizeOfAConstantImageIsConstant) {
  const Image r = resize_bilinear(constant(97, 41, 3, 77), 13, 29);
  ASSERT_EQ(r.width, 13);
  ASSERT_EQ(r.height, 29);
  for (auto v : r.pixels) ASSERT_EQ(v, 77);
}

TEST(Preprocess, ShrinkingByTwoAveragesNeighbours) {
  Image img = constant(4, 1, 1, 0);
  img.pixels = {0, 100, 200, 50};
  const Image r = resize_bilinear(img, 2, 1);
  // PIL BILINEAR at scale 2: support 2, weights 1/8,3/8,3/8,1/8 clipped at the edges.
  // Out 0: center 1.0, taps x=0..2 weights (0.75,0.75,0.25) -> (0*.75+100*.75+200*.25)/1.75
  EXPECT_EQ(r.pixels[0],
            static_cast<std::uint8_t>(std::nearbyint((0 * 0.75 + 100 * 0.75 + 200 * 0.25) / 1.75)));
}

TEST(Preprocess, LargeImagesAreResizedThenCenterCropped) {
  // 60x30 gray: shorter side 30 -> 28, so 56x28, then crop 28 columns from x=14.
  Image img = constant(60, 30, 1, 0);
  for (int y = 0; y < 30; ++y)
    for (int x = 0; x < 60; ++x) img.pixels[y * 60 + x] = x < 30 ? 0 : 255;
  std::vector<float> t;
  preprocess(img, fashion(), t);
  ASSERT_EQ(t.size(), 784u);
  const float black = (0 - 0.2860f) / 0.3530f, white = (1.0f - 0.2860f) / 0.3530f;
  EXPECT_NEAR(t[0], black, 1e-6);   // left edge of the crop is the left half
  EXPECT_NEAR(t[27], white, 1e-6);  // right edge is the right half
}

TEST(Preprocess, CenterCropRoundsHalfToEvenLikeTorchvision) {
  ModelConfig c = parse_model_config(R"({"name":"f","input":{"channels":1,"height":2,"width":2},
    "resize":[2,5],"center_crop":2,"mean":0,"std":1,"class_names":["a"]})");
  Image img = constant(5, 2, 1, 0);
  for (int x = 0; x < 5; ++x) img.pixels[x] = img.pixels[5 + x] = static_cast<std::uint8_t>(x * 10);
  std::vector<float> t;
  preprocess(img, c, t);
  // (5 - 2) / 2 = 1.5 rounds to 2: columns 2 and 3.
  EXPECT_FLOAT_EQ(t[0], 20 / 255.0f);
  EXPECT_FLOAT_EQ(t[1], 30 / 255.0f);
}

TEST(Preprocess, RgbModelNormalizesEachChannel) {
  ModelConfig c = parse_model_config(R"({"name":"r","input":{"channels":3,"height":4,"width":4},
    "resize":4,"mean":[0.5,0.25,0],"std":[0.5,0.25,1],"class_names":["a"]})");
  Image img = constant(4, 4, 3, 255);
  std::vector<float> t;
  preprocess(img, c, t);
  ASSERT_EQ(t.size(), 48u);
  EXPECT_FLOAT_EQ(t[0], 1.0f);   // (1 - .5) / .5
  EXPECT_FLOAT_EQ(t[16], 3.0f);  // (1 - .25) / .25
  EXPECT_FLOAT_EQ(t[32], 1.0f);  // (1 - 0) / 1
  // A gray image for an RGB model is copied into all channels.
  preprocess(constant(8, 8, 1, 0), c, t);
  EXPECT_FLOAT_EQ(t[0], -1.0f);
  EXPECT_FLOAT_EQ(t[16], -1.0f);
  EXPECT_FLOAT_EQ(t[32], 0.0f);
}

TEST(Preprocess, DctScalingTargetsTheResizeSize) {
  const ModelConfig shorter = parse_model_config(R"({"name":"s","input":{"channels":3,
    "height":224,"width":224},"resize":256,"mean":[0],"std":[1],"class_names":["a"]})");
  EXPECT_EQ(dct_scaling_for(shorter).min_width, 256);
  EXPECT_EQ(dct_scaling_for(shorter).min_height, 256);
  const ModelConfig exact = parse_model_config(R"({"name":"e","input":{"channels":3,
    "height":224,"width":224},"resize":[240,300],"center_crop":224,"mean":[0],"std":[1],
    "class_names":["a"]})");
  EXPECT_EQ(dct_scaling_for(exact).min_height, 240);
  EXPECT_EQ(dct_scaling_for(exact).min_width, 300);
}

// The lookup-table normalization and the fast rounding give exactly what the
// arithmetic they replace gives, for every 8-bit value.
TEST(Preprocess, EveryByteValueNormalizesLikeTheFormula) {
  const ModelConfig c = parse_model_config(R"({"name":"r","input":{"channels":3,"height":16,
    "width":16},"resize":16,"mean":[0.485,0.456,0.406],"std":[0.229,0.224,0.225],
    "class_names":["a"]})");
  Image img = constant(16, 16, 3, 0);
  for (std::size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = static_cast<std::uint8_t>(i);
  std::vector<float> t;
  preprocess(img, c, t);
  for (int k = 0; k < 3; ++k)
    for (int p = 0; p < 256; ++p) {
      const float v = img.pixels[static_cast<std::size_t>(p) * 3 + k];
      ASSERT_EQ(t[static_cast<std::size_t>(k) * 256 + p], (v / 255.0f - c.mean[k]) / c.std[k]);
    }
}
