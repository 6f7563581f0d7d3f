#include "shared/common/image_encoder.h"

#include <gtest/gtest.h>
#include <png.h>
#include <turbojpeg.h>
#include <zlib.h>

#include <cstring>
#include <memory>
#include <vector>

namespace driftwatch::common {
namespace {

// What loadgen sends for an IDX image: 8-bit gray, unfiltered rows.
std::string encode_png_gray8(std::uint32_t width, std::uint32_t height,
                             const std::uint8_t* pixels) {
  return encode_png({pixels, static_cast<int>(width), static_cast<int>(height), 1},
                    PngRowFilter::kNone);
}

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

// FNV-1a over the bytes: a short, stable fingerprint of an encoder's output.
std::uint64_t fingerprint(const std::string& bytes) {
  std::uint64_t h = 1469598103934665603ull;
  for (const char c : bytes) {
    h ^= static_cast<std::uint8_t>(c);
    h *= 1099511628211ull;
  }
  return h;
}

std::vector<std::uint8_t> pattern(int width, int height, int channels) {
  std::vector<std::uint8_t> px(static_cast<std::size_t>(width) * height * channels);
  for (std::size_t i = 0; i < px.size(); ++i)
    px[i] = static_cast<std::uint8_t>(i * 37 + 11 + i / 97);
  return px;
}

// The exact bytes, as the encoders each tool had before they shared this one
// wrote them (Debian 12's libpng 1.6.39, zlib 1.2.13, libjpeg-turbo 2.1.5): a
// change here changes every exported file and request body. The gray PNG and
// both JPEGs are train-demo-model's and infer-server's test encoders' bytes;
// the RGB PNG is the server's test encoder's without its sRGB chunk; the
// unfiltered PNG is loadgen's, the same length, with the zlib header naming
// the window libpng sizes to the image (loadgen wrote 32 KiB).
TEST(ImageEncoder, WritesTheSameBytesAsBeforeForEachFormat) {
  const auto gray = pattern(28, 28, 1);
  const auto rgb = pattern(33, 17, 3);
  const ImageView gray_view{gray.data(), 28, 28, 1};
  const ImageView rgb_view{rgb.data(), 33, 17, 3};
  struct Case {
    const char* what;
    std::string bytes;
    std::size_t size;
    std::uint64_t fnv;
  };
  const Case cases[] = {
      {"png gray", encode_png(gray_view), 136, 0xd5f901794397dbd6ull},
      {"png rgb", encode_png(rgb_view), 446, 0x0a3f83619e1fc279ull},
      {"png gray unfiltered", encode_png(gray_view, PngRowFilter::kNone), 381,
       0x1d15ff99fcf87ab6ull},
      {"jpeg gray q95", encode_jpeg(gray_view, 95), 1263, 0xf49b97f16ebb5fccull},
      {"jpeg rgb q90", encode_jpeg(rgb_view, 90), 1191, 0x84e10505513a5d84ull},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(c.bytes.size(), c.size) << c.what;
    EXPECT_EQ(fingerprint(c.bytes), c.fnv) << c.what;
  }
}

TEST(ImageEncoder, PngRgbAndJpegDecodeBackToTheImage) {
  const auto rgb = pattern(33, 17, 3);
  const std::string png = encode_png({rgb.data(), 33, 17, 3});
  png_image image;
  std::memset(&image, 0, sizeof(image));
  image.version = PNG_IMAGE_VERSION;
  ASSERT_TRUE(png_image_begin_read_from_memory(&image, png.data(), png.size())) << image.message;
  EXPECT_EQ(image.format & PNG_FORMAT_FLAG_COLOR, PNG_FORMAT_FLAG_COLOR);
  image.format = PNG_FORMAT_RGB;
  std::vector<std::uint8_t> decoded(PNG_IMAGE_SIZE(image));
  ASSERT_TRUE(png_image_finish_read(&image, nullptr, decoded.data(), 0, nullptr)) << image.message;
  EXPECT_EQ(decoded, rgb);

  const std::string jpeg = encode_jpeg({rgb.data(), 33, 17, 3}, 90);
  std::unique_ptr<void, int (*)(tjhandle)> tj(tjInitDecompress(), tjDestroy);
  int w = 0, h = 0, subsamp = -1, colorspace = -1;
  ASSERT_EQ(tjDecompressHeader3(tj.get(), reinterpret_cast<const unsigned char*>(jpeg.data()),
                                jpeg.size(), &w, &h, &subsamp, &colorspace),
            0);
  EXPECT_EQ(w, 33);
  EXPECT_EQ(h, 17);
  EXPECT_EQ(subsamp, TJSAMP_420);
}

TEST(ImageEncoder, RejectsAnEmptyViewOrAnOddChannelCount) {
  const auto px = pattern(4, 4, 4);
  EXPECT_THROW(encode_png({nullptr, 4, 4, 1}), std::runtime_error);
  EXPECT_THROW(encode_png({px.data(), 0, 4, 1}), std::runtime_error);
  EXPECT_THROW(encode_png({px.data(), 4, 4, 4}), std::runtime_error);
  EXPECT_THROW(encode_jpeg({px.data(), 4, 4, 2}, 90), std::runtime_error);
  EXPECT_THROW(encode_jpeg({px.data(), 4, 4, 1}, 0), std::runtime_error);
}

}  // namespace
}  // namespace driftwatch::common
