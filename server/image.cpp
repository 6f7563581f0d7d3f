#include "server/image.h"

#include <png.h>
#include <turbojpeg.h>

#include <cstring>
#include <memory>

namespace driftwatch::server {
namespace {

struct TjHandle {
  tjhandle h = nullptr;
  ~TjHandle() {
    if (h) tjDestroy(h);
  }
  void reset() {
    if (h) tjDestroy(h);
    h = nullptr;
  }
};

// One decompressor per thread (a handle must not be shared between threads),
// created on first use. After a failed decode the handle is thrown away: a
// handle that failed mid-stream can fail the next, valid, image.
thread_local TjHandle t_decompressor;

tjhandle thread_decompressor() {
  if (!t_decompressor.h) t_decompressor.h = tjInitDecompress();
  return t_decompressor.h;
}

bool is_jpeg(const std::uint8_t* d, std::size_t n) {
  return n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF;
}
bool is_png(const std::uint8_t* d, std::size_t n) {
  static const std::uint8_t kSig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  return n >= 8 && std::memcmp(d, kSig, 8) == 0;
}

DecodeResult too_many(std::uint64_t w, std::uint64_t h, std::uint64_t limit) {
  return {DecodeStatus::kTooManyPixels, "image is " + std::to_string(w) + "x" + std::to_string(h) +
                                            " pixels, over the limit of " + std::to_string(limit) +
                                            " pixels"};
}

// The smallest DCT scaling (1/2, 1/4, 1/8) that keeps w x h at least the
// requested size; 1/1 when none does or none was requested.
tjscalingfactor pick_scale(int w, int h, const DecodeOptions& o) {
  tjscalingfactor best{1, 1};
  if (o.min_width <= 0 || o.min_height <= 0) return best;
  for (int denom : {2, 4, 8}) {
    const tjscalingfactor f{1, denom};
    if (TJSCALED(w, f) < o.min_width || TJSCALED(h, f) < o.min_height) break;
    best = f;
  }
  return best;
}

DecodeResult decode_jpeg(const std::uint8_t* data, std::size_t size, std::uint64_t max_pixels,
                         Image& out, const DecodeOptions& options) {
  tjhandle tj = thread_decompressor();
  if (!tj) return {DecodeStatus::kCorrupt, "JPEG decoder unavailable"};
  int w = 0, h = 0, subsamp = 0, colorspace = 0;
  if (tjDecompressHeader3(tj, data, static_cast<unsigned long>(size), &w, &h, &subsamp,
                          &colorspace) != 0) {
    return {DecodeStatus::kCorrupt, std::string("invalid JPEG header: ") + tjGetErrorStr2(tj)};
  }
  if (w <= 0 || h <= 0) return {DecodeStatus::kCorrupt, "JPEG has no pixels"};
  if (static_cast<std::uint64_t>(w) * static_cast<std::uint64_t>(h) > max_pixels)
    return too_many(w, h, max_pixels);
  const bool gray = colorspace == TJCS_GRAY;
  const tjscalingfactor scale = pick_scale(w, h, options);
  const int sw = TJSCALED(w, scale);
  const int sh = TJSCALED(h, scale);
  out.width = sw;
  out.height = sh;
  out.channels = gray ? 1 : 3;
  out.pixels.resize(static_cast<std::size_t>(sw) * sh * out.channels);
  // TJFLAG_STOPONWARNING: a truncated file is an error, not a grey half-image.
  // Asking for sw x sh selects the DCT scaling.
  const int flags = TJFLAG_ACCURATEDCT | TJFLAG_STOPONWARNING;
  if (tjDecompress2(tj, data, static_cast<unsigned long>(size), out.pixels.data(), sw, 0, sh,
                    gray ? TJPF_GRAY : TJPF_RGB, flags) != 0) {
    return {DecodeStatus::kCorrupt, std::string("corrupt JPEG: ") + tjGetErrorStr2(tj)};
  }
  return {};
}

DecodeResult decode_png(const std::uint8_t* data, std::size_t size, std::uint64_t max_pixels,
                        Image& out) {
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&img, data, size)) {
    return {DecodeStatus::kCorrupt, std::string("invalid PNG header: ") + img.message};
  }
  // Frees libpng's state on every path below.
  std::unique_ptr<png_image, void (*)(png_imagep)> guard(&img, png_image_free);
  if (img.width == 0 || img.height == 0) return {DecodeStatus::kCorrupt, "PNG has no pixels"};
  if (static_cast<std::uint64_t>(img.width) * img.height > max_pixels)
    return too_many(img.width, img.height, max_pixels);
  const bool color = (img.format & PNG_FORMAT_FLAG_COLOR) != 0;
  img.format = color ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  out.width = static_cast<int>(img.width);
  out.height = static_cast<int>(img.height);
  out.channels = color ? 3 : 1;
  out.pixels.resize(PNG_IMAGE_SIZE(img));
  if (!png_image_finish_read(&img, nullptr, out.pixels.data(), 0, nullptr)) {
    return {DecodeStatus::kCorrupt, std::string("corrupt PNG: ") + img.message};
  }
  return {};
}

}  // namespace

DecodeResult decode_image(const std::uint8_t* data, std::size_t size, std::uint64_t max_pixels,
                          Image& out, const DecodeOptions& options) {
  out = Image{};
  if (size == 0) return {DecodeStatus::kUnknownFormat, "image data is empty"};
  DecodeResult r;
  if (is_jpeg(data, size)) {
    r = decode_jpeg(data, size, max_pixels, out, options);
  } else if (is_png(data, size)) {
    r = decode_png(data, size, max_pixels, out);
  } else {
    return {DecodeStatus::kUnknownFormat, "image data is neither JPEG nor PNG"};
  }
  if (!r.ok()) {
    out = Image{};
    t_decompressor.reset();
  }
  return r;
}

}  // namespace driftwatch::server
