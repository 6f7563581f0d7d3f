// The image encoders: PNG through libpng, JPEG through TurboJPEG, the same
// libraries infer-server decodes with. train-demo-model exports test images
// with them, loadgen turns IDX images into request bodies, and the tests make
// their uploads.
//
// Thread contract: free functions without shared state; any thread.
#pragma once

#include <cstdint>
#include <string>

namespace driftwatch::common {

// 8-bit pixels, row-major and interleaved: `channels` (1 = gray, 3 = RGB)
// bytes per pixel, width * channels bytes per row, no padding.
struct ImageView {
  const std::uint8_t* pixels = nullptr;
  int width = 0;
  int height = 0;
  int channels = 1;
};

enum class PngRowFilter {
  // libpng picks a filter for each row (its default): the smallest files.
  kAdaptive,
  // Every row stored as it is (filter type 0): cheapest to decode, and a
  // body size that depends only on how the pixels deflate.
  kNone,
};

// One IHDR, IDAT and IEND chunk (no colour-space chunks), 8-bit gray or RGB,
// not interlaced. Throws std::runtime_error on a bad view or a libpng error.
std::string encode_png(const ImageView& image, PngRowFilter filter = PngRowFilter::kAdaptive);

// Baseline JPEG with the accurate DCT: gray stays one channel (TJSAMP_GRAY),
// RGB is subsampled 4:2:0. quality is 1..100. Throws std::runtime_error.
std::string encode_jpeg(const ImageView& image, int quality);

}  // namespace driftwatch::common
