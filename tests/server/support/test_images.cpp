#include "tests/server/support/test_images.h"

#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include "tools/make_reference/image_source.h"

namespace dwtest {

bool fashion_mnist_available() { return ::access(kFashionTestImages, R_OK) == 0; }

std::vector<driftwatch::server::Image> fashion_mnist_images(std::size_t count) {
  std::vector<driftwatch::server::Image> out;
  if (!fashion_mnist_available()) return out;
  auto src = driftwatch::make_reference::open_idx_images(kFashionTestImages);
  for (std::size_t i = 0; i < count && i < src->size(); ++i) {
    driftwatch::server::Image img;
    std::string err;
    src->get(i, img, err);
    out.push_back(std::move(img));
  }
  return out;
}

driftwatch::server::Image synthetic_image(int width, int height, int channels, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> noise(-20, 20);
  driftwatch::server::Image img;
  img.width = width;
  img.height = height;
  img.channels = channels;
  img.pixels.resize(static_cast<std::size_t>(width) * height * channels);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < channels; ++c) {
        const int base = (x * 255 / std::max(1, width - 1) * (c + 1) +
                          y * 255 / std::max(1, height - 1) * (3 - c)) /
                         4;
        const int v = std::clamp(base + noise(rng), 0, 255);
        img.pixels[(static_cast<std::size_t>(y) * width + x) * channels + c] =
            static_cast<std::uint8_t>(v);
      }
  return img;
}

namespace {
void put32(std::string& s, std::uint32_t v) {
  s.push_back(static_cast<char>(v >> 24));
  s.push_back(static_cast<char>(v >> 16));
  s.push_back(static_cast<char>(v >> 8));
  s.push_back(static_cast<char>(v));
}
void chunk(std::string& png, const char* type, const std::string& data) {
  put32(png, static_cast<std::uint32_t>(data.size()));
  const std::string td = std::string(type, 4) + data;
  png += td;
  put32(png, static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(td.data()),
                                              static_cast<uInt>(td.size()))));
}
}  // namespace

std::string png_claiming(std::uint32_t width, std::uint32_t height) {
  std::string png("\x89PNG\r\n\x1a\n", 8);
  std::string ihdr;
  put32(ihdr, width);
  put32(ihdr, height);
  ihdr += std::string("\x08\x00\x00\x00\x00", 5);  // 8-bit gray, deflate, no filter, no interlace
  chunk(png, "IHDR", ihdr);
  // One compressed empty row: the data is short; the header is what counts.
  const std::string row(1, '\0');
  uLongf len = compressBound(1);
  std::string z(len, '\0');
  compress(reinterpret_cast<Bytef*>(z.data()), &len, reinterpret_cast<const Bytef*>(row.data()), 1);
  z.resize(len);
  chunk(png, "IDAT", z);
  chunk(png, "IEND", "");
  return png;
}

}  // namespace dwtest
