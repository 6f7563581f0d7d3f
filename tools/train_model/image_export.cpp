#include "tools/train_model/image_export.h"

#include <png.h>
#include <turbojpeg.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>

namespace driftwatch::train_model {
namespace {

void write_file(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path);
}

// splitmix64: decorrelates per-image seeds derived from (seed, index).
std::uint64_t mix_seed(std::uint64_t seed, std::uint64_t index) {
  std::uint64_t z = seed * 0x9E3779B97F4A7C15ull + index + 0x632BE59BD9B4E019ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

void png_append(png_structp png, png_bytep data, png_size_t n) {
  auto* out = static_cast<std::vector<std::uint8_t>*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + n);
}

}  // namespace

std::optional<ImageFormat> parse_image_format(const std::string& name) {
  if (name == "jpeg" || name == "jpg") return ImageFormat::kJpeg;
  if (name == "png") return ImageFormat::kPng;
  return std::nullopt;
}

const char* image_format_extension(ImageFormat f) {
  return f == ImageFormat::kJpeg ? "jpg" : "png";
}

std::vector<std::uint8_t> encode_jpeg_gray(const std::uint8_t* pixels, std::size_t rows,
                                           std::size_t cols, int quality) {
  std::unique_ptr<void, int (*)(tjhandle)> tj(tjInitCompress(), tjDestroy);
  if (!tj) throw std::runtime_error("tjInitCompress failed");
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  const int rc = tjCompress2(tj.get(), pixels, static_cast<int>(cols), 0, static_cast<int>(rows),
                             TJPF_GRAY, &buf, &size, TJSAMP_GRAY, quality, TJFLAG_ACCURATEDCT);
  if (rc != 0) {
    const std::string err = tjGetErrorStr2(tj.get());
    tjFree(buf);
    throw std::runtime_error("JPEG encoding failed: " + err);
  }
  std::vector<std::uint8_t> out(buf, buf + size);
  tjFree(buf);
  return out;
}

std::vector<std::uint8_t> encode_png_gray(const std::uint8_t* pixels, std::size_t rows,
                                          std::size_t cols) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  if (!png) throw std::runtime_error("png_create_write_struct failed");
  png_infop info = png_create_info_struct(png);
  std::vector<std::uint8_t> out;
  std::vector<png_bytep> row_ptrs(rows);
  // libpng reports errors by longjmp; nothing with a destructor is created
  // between setjmp and the calls that may jump.
  if (!info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    throw std::runtime_error("PNG encoding failed");
  }
  png_set_write_fn(png, &out, png_append, nullptr);
  png_set_IHDR(png, info, static_cast<png_uint_32>(cols), static_cast<png_uint_32>(rows), 8,
               PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  for (std::size_t y = 0; y < rows; ++y) row_ptrs[y] = const_cast<png_bytep>(pixels + y * cols);
  png_set_rows(png, info, row_ptrs.data());
  png_write_png(png, info, PNG_TRANSFORM_IDENTITY, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

std::vector<std::string> export_images(const Dataset& data, const ExportOptions& opt) {
  const IdxImages& images = data.images;
  if (opt.count > images.count) {
    throw std::runtime_error("asked for " + std::to_string(opt.count) + " images but the set has " +
                             std::to_string(images.count));
  }
  if (opt.jpeg_quality < 1 || opt.jpeg_quality > 100) {
    throw std::runtime_error("JPEG quality must be 1..100");
  }
  std::error_code ec;
  std::filesystem::create_directories(opt.dir, ec);
  if (ec) throw std::runtime_error("cannot create " + opt.dir + ": " + ec.message());

  std::vector<std::string> paths;
  paths.reserve(opt.count);
  std::vector<std::uint8_t> img(images.image_size());
  for (std::size_t i = 0; i < opt.count; ++i) {
    img.assign(images.image(i), images.image(i) + images.image_size());
    apply_image_transform(opt.transform, img.data(), images.rows, images.cols,
                          mix_seed(opt.seed, i));
    const auto bytes =
        opt.format == ImageFormat::kJpeg
            ? encode_jpeg_gray(img.data(), images.rows, images.cols, opt.jpeg_quality)
            : encode_png_gray(img.data(), images.rows, images.cols);
    std::string path = opt.dir + "/" + std::to_string(i) + "_" +
                       std::to_string(data.labels.labels[i]) + "." +
                       image_format_extension(opt.format);
    write_file(path, bytes);
    paths.push_back(std::move(path));
  }
  return paths;
}

}  // namespace driftwatch::train_model
