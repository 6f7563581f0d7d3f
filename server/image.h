// Image decoding for the request path: JPEG (TurboJPEG) and PNG (libpng),
// told apart by their magic bytes. The pixel count is checked against a limit
// from the header alone, before any pixel buffer is allocated, so a small
// file claiming a huge image (a decompression bomb) costs nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "shared/common/image_encoder.h"

namespace driftwatch::server {

// 8-bit interleaved pixels, row-major, `channels` (1 = gray, 3 = RGB) per pixel.
struct Image {
  int width = 0;
  int height = 0;
  int channels = 0;
  std::vector<std::uint8_t> pixels;
};

enum class DecodeStatus {
  kOk,
  kUnknownFormat,  // neither JPEG nor PNG magic
  kCorrupt,        // truncated or invalid data
  kTooManyPixels,  // width * height over the limit
};

struct DecodeResult {
  DecodeStatus status = DecodeStatus::kOk;
  std::string detail;  // a human sentence when status != kOk
  bool ok() const { return status == DecodeStatus::kOk; }
};

// Optional shortcut for large JPEGs: TurboJPEG can decode at 1/2, 1/4 or 1/8
// of the size in the DCT domain (skipping most of the inverse DCT and the
// colour conversion of pixels the resize would average away). When min_width
// and min_height are set, a JPEG is decoded at the smallest such scale whose
// result is still at least that large; 0 (the default) decodes every pixel,
// the exact PIL-compatible path. PNGs are always decoded whole.
struct DecodeOptions {
  int min_width = 0;
  int min_height = 0;
};

// Decodes to gray when the file is gray (gray JPEG, gray PNG) and to RGB
// otherwise; alpha is composited onto black (libpng's simplified API).
// The pixel limit applies to the file's own size. Never throws; thread-safe
// (no shared state).
DecodeResult decode_image(const std::uint8_t* data, std::size_t size, std::uint64_t max_pixels,
                          Image& out, const DecodeOptions& options = {});

// For tests, tools and the demo: the common encoders (same libraries) for an
// Image. Throw std::runtime_error on failure.
inline std::string encode_jpeg(const Image& image, int quality) {
  return common::encode_jpeg({image.pixels.data(), image.width, image.height, image.channels},
                             quality);
}
inline std::string encode_png(const Image& image) {
  return common::encode_png({image.pixels.data(), image.width, image.height, image.channels});
}

}  // namespace driftwatch::server
