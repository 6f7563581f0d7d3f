// Image decoding for the request path: JPEG (TurboJPEG) and PNG (libpng),
// told apart by their magic bytes. The pixel count is checked against a limit
// from the header alone, before any pixel buffer is allocated, so a small
// file claiming a huge image (a decompression bomb) costs nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

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

// Decodes to gray when the file is gray (gray JPEG, gray PNG) and to RGB
// otherwise; alpha is composited onto black (libpng's simplified API).
// Never throws; thread-safe (no shared state).
DecodeResult decode_image(const std::uint8_t* data, std::size_t size, std::uint64_t max_pixels,
                          Image& out);

// For tests, tools and the demo: encoders with the same libraries.
// channels is 1 or 3. Return an empty string on failure.
std::string encode_jpeg(const Image& image, int quality);
std::string encode_png(const Image& image);

}  // namespace driftwatch::server
