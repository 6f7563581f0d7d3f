// Writes test-set images as grayscale JPEG or PNG files named
// <index>_<label>.jpg|png, optionally transformed (see image_transform.h),
// with the common encoders (shared/common/image_encoder.h).
// Used by the tests, the demo and load generation; needs neither the model
// nor LibTorch.
//
// Thread contract: free functions; concurrent calls must use different
// output directories.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tools/train_model/fashion_mnist.h"
#include "tools/train_model/image_transform.h"

namespace driftwatch::train_model {

enum class ImageFormat { kJpeg, kPng };

std::optional<ImageFormat> parse_image_format(const std::string& name);
const char* image_format_extension(ImageFormat f);  // "jpg" or "png"

struct ExportOptions {
  std::size_t count = 0;  // the first `count` images of the set
  ImageFormat format = ImageFormat::kPng;
  std::string dir;
  ImageTransform transform = ImageTransform::kNone;
  std::uint64_t seed = 0;  // transform randomness; image i uses a seed derived from (seed, i)
  int jpeg_quality = 95;
};

// Creates opt.dir if needed and writes the files; returns their paths in
// index order. Throws std::runtime_error (count larger than the set, I/O).
std::vector<std::string> export_images(const Dataset& data, const ExportOptions& opt);

}  // namespace driftwatch::train_model
