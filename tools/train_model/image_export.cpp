#include "tools/train_model/image_export.h"

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "shared/common/idx_file.h"
#include "shared/common/image_encoder.h"

namespace driftwatch::train_model {
namespace {

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
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

}  // namespace

std::optional<ImageFormat> parse_image_format(const std::string& name) {
  if (name == "jpeg" || name == "jpg") return ImageFormat::kJpeg;
  if (name == "png") return ImageFormat::kPng;
  if (name == "idx") return ImageFormat::kIdx;
  return std::nullopt;
}

const char* image_format_extension(ImageFormat f) {
  switch (f) {
    case ImageFormat::kJpeg:
      return "jpg";
    case ImageFormat::kPng:
      return "png";
    case ImageFormat::kIdx:
      return "idx";
  }
  return "?";
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
  // IDX: one images file [count, rows, cols] and one labels file [count],
  // uncompressed, the labels in the same order.
  std::string idx_images, idx_labels;
  if (opt.format == ImageFormat::kIdx) {
    const auto count = static_cast<std::uint32_t>(opt.count);
    idx_images = common::idx_header(
        common::kIdxImagesMagic,
        {count, static_cast<std::uint32_t>(images.rows), static_cast<std::uint32_t>(images.cols)});
    idx_labels = common::idx_header(common::kIdxLabelsMagic, {count});
  }
  for (std::size_t i = 0; i < opt.count; ++i) {
    img.assign(images.image(i), images.image(i) + images.image_size());
    apply_image_transform(opt.transform, img.data(), images.rows, images.cols,
                          mix_seed(opt.seed, i));
    if (opt.format == ImageFormat::kIdx) {
      idx_images.append(reinterpret_cast<const char*>(img.data()), img.size());
      idx_labels.push_back(static_cast<char>(data.labels.labels[i]));
      continue;
    }
    const common::ImageView view{img.data(), static_cast<int>(images.cols),
                                 static_cast<int>(images.rows), 1};
    const std::string bytes = opt.format == ImageFormat::kJpeg
                                  ? common::encode_jpeg(view, opt.jpeg_quality)
                                  : common::encode_png(view);
    std::string path = opt.dir + "/" + std::to_string(i) + "_" +
                       std::to_string(data.labels.labels[i]) + "." +
                       image_format_extension(opt.format);
    write_file(path, bytes);
    paths.push_back(std::move(path));
  }
  if (opt.format == ImageFormat::kIdx) {
    paths = {opt.dir + "/" + kIdxImagesFile, opt.dir + "/" + kIdxLabelsFile};
    write_file(paths[0], idx_images);
    write_file(paths[1], idx_labels);
  }
  return paths;
}

}  // namespace driftwatch::train_model
