#include "tools/train_model/image_transform.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace driftwatch::train_model {
namespace {

constexpr double kPi = 3.14159265358979323846;

std::uint8_t clamp_to_byte(double v) {
  return static_cast<std::uint8_t>(std::lround(std::clamp(v, 0.0, 255.0)));
}

}  // namespace

std::optional<ImageTransform> parse_image_transform(const std::string& name) {
  if (name == "none") return ImageTransform::kNone;
  if (name == "noise") return ImageTransform::kNoise;
  if (name == "rotate") return ImageTransform::kRotate;
  if (name == "invert") return ImageTransform::kInvert;
  return std::nullopt;
}

const char* image_transform_name(ImageTransform t) {
  switch (t) {
    case ImageTransform::kNone:
      return "none";
    case ImageTransform::kNoise:
      return "noise";
    case ImageTransform::kRotate:
      return "rotate";
    case ImageTransform::kInvert:
      return "invert";
  }
  return "?";
}

void rotate_image(std::uint8_t* pixels, std::size_t rows, std::size_t cols, double angle_degrees) {
  const std::vector<std::uint8_t> src(pixels, pixels + rows * cols);
  const double a = angle_degrees * kPi / 180.0;
  const double c = std::cos(a), s = std::sin(a);
  const double cy = (static_cast<double>(rows) - 1) / 2, cx = (static_cast<double>(cols) - 1) / 2;
  auto at = [&](long y, long x) -> double {
    if (y < 0 || x < 0 || y >= static_cast<long>(rows) || x >= static_cast<long>(cols)) return 0;
    return src[static_cast<std::size_t>(y) * cols + static_cast<std::size_t>(x)];
  };
  for (std::size_t y = 0; y < rows; ++y) {
    for (std::size_t x = 0; x < cols; ++x) {
      // Inverse mapping: where in the source does this output pixel come from.
      const double dx = static_cast<double>(x) - cx, dy = static_cast<double>(y) - cy;
      const double sx = c * dx - s * dy + cx, sy = s * dx + c * dy + cy;
      const double fx = std::floor(sx), fy = std::floor(sy);
      const double wx = sx - fx, wy = sy - fy;
      const long x0 = static_cast<long>(fx), y0 = static_cast<long>(fy);
      const double v = (1 - wy) * ((1 - wx) * at(y0, x0) + wx * at(y0, x0 + 1)) +
                       wy * ((1 - wx) * at(y0 + 1, x0) + wx * at(y0 + 1, x0 + 1));
      pixels[y * cols + x] = clamp_to_byte(v);
    }
  }
}

void apply_image_transform(ImageTransform t, std::uint8_t* pixels, std::size_t rows,
                           std::size_t cols, std::uint64_t seed) {
  const std::size_t n = rows * cols;
  std::mt19937_64 rng(seed);
  switch (t) {
    case ImageTransform::kNone:
      return;
    case ImageTransform::kNoise: {
      std::normal_distribution<double> noise(0.0, kNoiseSigma);
      for (std::size_t i = 0; i < n; ++i) pixels[i] = clamp_to_byte(pixels[i] + noise(rng));
      return;
    }
    case ImageTransform::kRotate: {
      std::uniform_real_distribution<double> angle(kMinRotationDegrees, kMaxRotationDegrees);
      const double deg = angle(rng);
      rotate_image(pixels, rows, cols, (rng() & 1) ? deg : -deg);
      return;
    }
    case ImageTransform::kInvert:
      for (std::size_t i = 0; i < n; ++i) pixels[i] = static_cast<std::uint8_t>(255 - pixels[i]);
      return;
  }
}

}  // namespace driftwatch::train_model
