#include "idx_reader.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <stdexcept>

namespace driftwatch::loadgen {

namespace {

constexpr std::uint32_t kIdx3Magic = 0x00000803;  // unsigned byte data, 3 dimensions
// Guards against a corrupt header asking for gigabytes.
constexpr std::uint64_t kMaxImagePixels = 16u << 20;

struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};

std::uint32_t read_be32(gzFile file, const std::string& path) {
  unsigned char b[4];
  if (gzread(file, b, sizeof(b)) != static_cast<int>(sizeof(b))) {
    throw std::runtime_error(path + ": truncated IDX header");
  }
  return std::uint32_t{b[0]} << 24 | std::uint32_t{b[1]} << 16 | std::uint32_t{b[2]} << 8 |
         std::uint32_t{b[3]};
}

}  // namespace

IdxImages read_idx3(const std::string& path, std::uint32_t max_images) {
  std::unique_ptr<gzFile_s, GzCloser> file(gzopen(path.c_str(), "rb"));
  if (!file) throw std::runtime_error(path + ": cannot open");

  const std::uint32_t magic = read_be32(file.get(), path);
  if (magic != kIdx3Magic) {
    throw std::runtime_error(path + ": not an IDX3 images file (magic 0x" + [&] {
      char hex[9];
      std::snprintf(hex, sizeof(hex), "%08x", magic);
      return std::string(hex);
    }() + ", want 0x00000803)");
  }
  IdxImages images;
  images.count = read_be32(file.get(), path);
  images.rows = read_be32(file.get(), path);
  images.cols = read_be32(file.get(), path);
  const std::uint64_t per_image = std::uint64_t{images.rows} * images.cols;
  if (per_image == 0 || per_image > kMaxImagePixels) {
    throw std::runtime_error(path + ": implausible IDX image size " + std::to_string(images.rows) +
                             "x" + std::to_string(images.cols));
  }
  if (images.count == 0) throw std::runtime_error(path + ": IDX file holds no images");
  if (max_images != 0 && images.count > max_images) images.count = max_images;

  images.pixels.resize(images.count * per_image);
  // gzread takes an unsigned int length, so read in chunks.
  constexpr std::size_t kChunk = 1u << 24;
  for (std::size_t done = 0; done < images.pixels.size();) {
    const auto want = static_cast<unsigned>(std::min(kChunk, images.pixels.size() - done));
    const int got = gzread(file.get(), images.pixels.data() + done, want);
    if (got <= 0) {
      throw std::runtime_error(path + ": truncated IDX data (" + std::to_string(done / per_image) +
                               " of " + std::to_string(images.count) + " images)");
    }
    done += static_cast<std::size_t>(got);
  }
  return images;
}

}  // namespace driftwatch::loadgen
