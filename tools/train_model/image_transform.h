// Pixel transforms that make low-confidence ("drifted") variants of test
// images for the demo: Gaussian noise, rotation, inversion.
//
// All work on one 8-bit grayscale image in place and are deterministic for a
// given seed, so an export can be reproduced exactly.
//
// Thread contract: pure functions; safe to call concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace driftwatch::train_model {

enum class ImageTransform {
  kNone,    // the test image as is
  kNoise,   // additive Gaussian noise, sigma kNoiseSigma, clamped to 0..255
  kRotate,  // rotation about the centre by a random 30..150 degrees, either direction
  kInvert,  // 255 - p
};

// Noise standard deviation in 8-bit pixel units (about 0.3 of the range).
inline constexpr double kNoiseSigma = 80.0;
inline constexpr double kMinRotationDegrees = 30.0;
inline constexpr double kMaxRotationDegrees = 150.0;

std::optional<ImageTransform> parse_image_transform(const std::string& name);
const char* image_transform_name(ImageTransform t);

// Rotates by angle_degrees (counter-clockwise) with bilinear sampling; pixels
// that come from outside the image are 0 (the data set's background).
void rotate_image(std::uint8_t* pixels, std::size_t rows, std::size_t cols, double angle_degrees);

// Applies t. seed picks the noise and the angle; use a different seed per image.
void apply_image_transform(ImageTransform t, std::uint8_t* pixels, std::size_t rows,
                           std::size_t cols, std::uint64_t seed);

}  // namespace driftwatch::train_model
