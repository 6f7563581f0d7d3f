// Writes test-set images as grayscale JPEG or PNG files named
// <index>_<label>.jpg|png, or as one IDX images file with its IDX labels file
// (images-idx3-ubyte, labels-idx1-ubyte: what loadgen --idx and its
// feedback labels read), optionally transformed (see image_transform.h),
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

enum class ImageFormat { kJpeg, kPng, kIdx };

inline constexpr const char* kIdxImagesFile = "images-idx3-ubyte";
inline constexpr const char* kIdxLabelsFile = "labels-idx1-ubyte";

std::optional<ImageFormat> parse_image_format(const std::string& name);  // jpeg|jpg, png, idx
const char* image_format_extension(ImageFormat f);                       // "jpg", "png", "idx"

struct ExportOptions {
  std::size_t count = 0;  // the first `count` images of the set
  ImageFormat format = ImageFormat::kPng;
  std::string dir;
  ImageTransform transform = ImageTransform::kNone;
  std::uint64_t seed = 0;  // transform randomness; image i uses a seed derived from (seed, i)
  int jpeg_quality = 95;
};

// Creates opt.dir if needed and writes the files; returns their paths in
// index order (kIdx: the images file, then the labels file). Throws std::runtime_error (count
// larger than the set, I/O).
std::vector<std::string> export_images(const Dataset& data, const ExportOptions& opt);

}  // namespace driftwatch::train_model
