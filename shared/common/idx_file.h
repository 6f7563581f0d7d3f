// Reader for the IDX files of (Fashion-)MNIST, gzip-compressed or plain:
// train-demo-model, loadgen and make-reference all read images this way;
// and the header of one, for whatever writes them.
//
// IDX layout (big-endian): a 4-byte magic (0x00000803 for uint8 images of
// rank 3, 0x00000801 for uint8 labels of rank 1), one uint32 per dimension,
// then the data, row-major. zlib's gzread reads plain files transparently, so
// the same code accepts both.
//
// Thread contract: free functions on value types; safe to call concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace driftwatch::common {

inline constexpr std::uint32_t kIdxImagesMagic = 0x00000803;
inline constexpr std::uint32_t kIdxLabelsMagic = 0x00000801;

// count images of rows x cols uint8 pixels, image i at pixels[i*rows*cols].
struct IdxImages {
  std::size_t count = 0;
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::vector<std::uint8_t> pixels;

  std::size_t image_size() const { return rows * cols; }
  const std::uint8_t* image(std::size_t i) const { return pixels.data() + i * image_size(); }
};

struct IdxLabels {
  std::vector<std::uint8_t> labels;
};

// Both throw std::runtime_error naming the file and what is wrong with it
// (missing, bad magic, truncated header or data, absurd dimensions, bytes
// after the data).
//
// max_images > 0 keeps only the first max_images images (count says how many
// were kept); the rest of the file is then neither read nor checked.
IdxImages read_idx_images(const std::string& path, std::size_t max_images = 0);
IdxLabels read_idx_labels(const std::string& path);

// What starts an IDX file: `magic`, then each dimension, big-endian; the
// data follow it, row-major.
std::string idx_header(std::uint32_t magic, const std::vector<std::uint32_t>& dims);

}  // namespace driftwatch::common
