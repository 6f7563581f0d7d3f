#include "shared/common/image_encoder.h"

#include <png.h>
#include <turbojpeg.h>

#include <memory>
#include <stdexcept>
#include <vector>

namespace driftwatch::common {
namespace {

void check_view(const ImageView& image, const char* format) {
  if (image.pixels == nullptr || image.width <= 0 || image.height <= 0 ||
      (image.channels != 1 && image.channels != 3)) {
    throw std::runtime_error(std::string(format) +
                             " encoding needs a non-empty 8-bit gray or RGB image");
  }
}

void png_append(png_structp png, png_bytep data, png_size_t n) {
  static_cast<std::string*>(png_get_io_ptr(png))->append(reinterpret_cast<const char*>(data), n);
}

}  // namespace

std::string encode_png(const ImageView& image, PngRowFilter filter) {
  check_view(image, "PNG");
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  if (!png) throw std::runtime_error("png_create_write_struct failed");
  png_infop info = png_create_info_struct(png);
  std::string out;
  const std::size_t row_bytes = static_cast<std::size_t>(image.width) * image.channels;
  std::vector<png_bytep> rows(static_cast<std::size_t>(image.height));
  for (std::size_t y = 0; y < rows.size(); ++y)
    rows[y] = const_cast<png_bytep>(image.pixels + y * row_bytes);
  // libpng reports errors by longjmp; nothing with a destructor is created
  // between setjmp and the calls that may jump.
  if (!info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    throw std::runtime_error("PNG encoding failed");
  }
  png_set_write_fn(png, &out, png_append, nullptr);
  if (filter == PngRowFilter::kNone) png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
  png_set_IHDR(png, info, static_cast<png_uint_32>(image.width),
               static_cast<png_uint_32>(image.height), 8,
               image.channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_rows(png, info, rows.data());
  png_write_png(png, info, PNG_TRANSFORM_IDENTITY, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

std::string encode_jpeg(const ImageView& image, int quality) {
  check_view(image, "JPEG");
  if (quality < 1 || quality > 100) throw std::runtime_error("JPEG quality must be 1..100");
  std::unique_ptr<void, int (*)(tjhandle)> tj(tjInitCompress(), tjDestroy);
  if (!tj) throw std::runtime_error("tjInitCompress failed");
  const bool gray = image.channels == 1;
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  const int rc =
      tjCompress2(tj.get(), image.pixels, image.width, 0, image.height, gray ? TJPF_GRAY : TJPF_RGB,
                  &buf, &size, gray ? TJSAMP_GRAY : TJSAMP_420, quality, TJFLAG_ACCURATEDCT);
  if (rc != 0) {
    const std::string err = tjGetErrorStr2(tj.get());
    tjFree(buf);
    throw std::runtime_error("JPEG encoding failed: " + err);
  }
  std::string out(reinterpret_cast<const char*>(buf), size);
  tjFree(buf);
  return out;
}

}  // namespace driftwatch::common
