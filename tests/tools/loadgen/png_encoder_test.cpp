#include "tools/loadgen/png_encoder.h"

#include <gtest/gtest.h>
#include <zlib.h>

#ifdef DW_HAVE_LIBPNG
#include <png.h>
#endif

#include <cstring>
#include <vector>

namespace driftwatch::loadgen {
namespace {

std::uint32_t be32(const std::string& s, std::size_t at) {
  return std::uint32_t{static_cast<std::uint8_t>(s[at])} << 24 |
         std::uint32_t{static_cast<std::uint8_t>(s[at + 1])} << 16 |
         std::uint32_t{static_cast<std::uint8_t>(s[at + 2])} << 8 |
         std::uint32_t{static_cast<std::uint8_t>(s[at + 3])};
}

std::vector<std::uint8_t> test_image(std::uint32_t w, std::uint32_t h) {
  std::vector<std::uint8_t> pixels(std::size_t{w} * h);
  for (std::size_t i = 0; i < pixels.size(); ++i)
    pixels[i] = static_cast<std::uint8_t>(i * 37 + 11);
  return pixels;
}

struct Chunk {
  std::string type;
  std::string data;
};

// Walks the chunks, checking each CRC.
std::vector<Chunk> chunks_of(const std::string& png) {
  std::vector<Chunk> chunks;
  std::size_t at = 8;
  while (at + 12 <= png.size()) {
    const std::uint32_t length = be32(png, at);
    Chunk chunk{png.substr(at + 4, 4), png.substr(at + 8, length)};
    const auto crc = static_cast<std::uint32_t>(
        crc32(0L, reinterpret_cast<const Bytef*>(png.data() + at + 4), length + 4));
    EXPECT_EQ(crc, be32(png, at + 8 + length)) << chunk.type;
    chunks.push_back(chunk);
    at += 12 + length;
  }
  EXPECT_EQ(at, png.size());
  return chunks;
}

TEST(PngEncoder, WritesSignatureChunksAndInflatableRows) {
  const std::uint32_t w = 28, h = 28;
  const std::vector<std::uint8_t> pixels = test_image(w, h);
  const std::string png = encode_png_gray8(w, h, pixels.data());

  ASSERT_GT(png.size(), 8u);
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  const std::vector<Chunk> chunks = chunks_of(png);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0].type, "IHDR");
  EXPECT_EQ(chunks[1].type, "IDAT");
  EXPECT_EQ(chunks[2].type, "IEND");
  ASSERT_EQ(chunks[0].data.size(), 13u);
  EXPECT_EQ(be32(chunks[0].data, 0), w);
  EXPECT_EQ(be32(chunks[0].data, 4), h);
  EXPECT_EQ(chunks[0].data.substr(8), std::string("\x08\0\0\0\0", 5));  // 8-bit gray

  std::vector<Bytef> raw(std::size_t{h} * (w + 1));
  uLongf raw_size = static_cast<uLongf>(raw.size());
  ASSERT_EQ(uncompress(raw.data(), &raw_size, reinterpret_cast<const Bytef*>(chunks[1].data.data()),
                       static_cast<uLong>(chunks[1].data.size())),
            Z_OK);
  ASSERT_EQ(raw_size, raw.size());
  for (std::uint32_t y = 0; y < h; ++y) {
    EXPECT_EQ(raw[y * (w + 1)], 0) << "row " << y << " filter";
    EXPECT_EQ(std::memcmp(&raw[y * (w + 1) + 1], &pixels[y * w], w), 0) << "row " << y;
  }
}

#ifdef DW_HAVE_LIBPNG
TEST(PngEncoder, LibpngDecodesTheSamePixels) {
  for (const auto& [w, h] : {std::pair<std::uint32_t, std::uint32_t>{28, 28}, {1, 1}, {97, 13}}) {
    const std::vector<std::uint8_t> pixels = test_image(w, h);
    const std::string png = encode_png_gray8(w, h, pixels.data());
    png_image image;
    std::memset(&image, 0, sizeof(image));
    image.version = PNG_IMAGE_VERSION;
    ASSERT_TRUE(png_image_begin_read_from_memory(&image, png.data(), png.size())) << image.message;
    EXPECT_EQ(image.width, w);
    EXPECT_EQ(image.height, h);
    image.format = PNG_FORMAT_GRAY;
    std::vector<std::uint8_t> decoded(PNG_IMAGE_SIZE(image));
    ASSERT_TRUE(png_image_finish_read(&image, nullptr, decoded.data(), 0, nullptr))
        << image.message;
    EXPECT_EQ(decoded, pixels);
  }
}
#endif

}  // namespace
}  // namespace driftwatch::loadgen
