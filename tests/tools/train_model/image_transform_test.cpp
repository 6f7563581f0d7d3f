#include "tools/train_model/image_transform.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <vector>

namespace driftwatch::train_model {
namespace {

std::vector<std::uint8_t> ramp(std::size_t rows, std::size_t cols) {
  std::vector<std::uint8_t> v(rows * cols);
  std::iota(v.begin(), v.end(), 0);
  return v;
}

TEST(RotateImage, ZeroDegreesIsIdentity) {
  auto img = ramp(8, 8);
  const auto orig = img;
  rotate_image(img.data(), 8, 8, 0.0);
  EXPECT_EQ(img, orig);
}

TEST(RotateImage, NinetyDegreesTurnsCounterClockwiseExactly) {
  const std::size_t n = 28;
  auto img = ramp(n, n);  // values wrap at 256; only equality matters
  const auto src = img;
  rotate_image(img.data(), n, n, 90.0);
  for (std::size_t y = 0; y < n; ++y) {
    for (std::size_t x = 0; x < n; ++x) {
      // The source's top-right corner ends up top-left.
      ASSERT_EQ(img[y * n + x], src[x * n + (n - 1 - y)]) << "at " << y << "," << x;
    }
  }
}

TEST(RotateImage, FillsCornersFromOutsideWithBackground) {
  std::vector<std::uint8_t> img(28 * 28, 200);
  rotate_image(img.data(), 28, 28, 45.0);
  EXPECT_EQ(img[0], 0);               // corner comes from outside the source
  EXPECT_EQ(img[14 * 28 + 14], 200);  // centre stays
}

TEST(ApplyImageTransform, SameSeedSameResultOtherSeedDiffers) {
  for (ImageTransform t : {ImageTransform::kNoise, ImageTransform::kRotate}) {
    auto a = ramp(28, 28), b = ramp(28, 28), c = ramp(28, 28);
    apply_image_transform(t, a.data(), 28, 28, 1);
    apply_image_transform(t, b.data(), 28, 28, 1);
    apply_image_transform(t, c.data(), 28, 28, 2);
    EXPECT_EQ(a, b) << image_transform_name(t);
    EXPECT_NE(a, c) << image_transform_name(t);
  }
}

TEST(ApplyImageTransform, NoiseHasRoughlyTheConfiguredSpread) {
  std::vector<std::uint8_t> img(100 * 100, 128);
  apply_image_transform(ImageTransform::kNoise, img.data(), 100, 100, 3);
  double sum = 0, sum_sq = 0;
  for (auto p : img) {
    sum += p - 128.0;
    sum_sq += (p - 128.0) * (p - 128.0);
  }
  const double n = static_cast<double>(img.size());
  EXPECT_NEAR(sum / n, 0.0, 3.0);
  // Clamping at 0/255 trims the tails a little.
  EXPECT_NEAR(std::sqrt(sum_sq / n), kNoiseSigma, 8.0);
}

TEST(ApplyImageTransform, NoneLeavesTheImageAlone) {
  auto img = ramp(28, 28);
  const auto orig = img;
  apply_image_transform(ImageTransform::kNone, img.data(), 28, 28, 5);
  EXPECT_EQ(img, orig);
}

TEST(ImageTransformNames, RoundTrip) {
  for (ImageTransform t : {ImageTransform::kNone, ImageTransform::kNoise, ImageTransform::kRotate,
                           ImageTransform::kInvert}) {
    EXPECT_EQ(parse_image_transform(image_transform_name(t)), t);
  }
  EXPECT_FALSE(parse_image_transform("blur"));
}

}  // namespace
}  // namespace driftwatch::train_model
