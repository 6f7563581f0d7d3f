#include "tools/loadgen/png_encoder.h"

#include <zlib.h>

#include <stdexcept>
#include <vector>

namespace driftwatch::loadgen {

namespace {

constexpr unsigned char kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
constexpr std::uint8_t kBitDepth = 8;
constexpr std::uint8_t kColorTypeGray = 0;
constexpr std::uint8_t kFilterNone = 0;

void put_u32(std::string& out, std::uint32_t v) {
  out += static_cast<char>(v >> 24 & 0xff);
  out += static_cast<char>(v >> 16 & 0xff);
  out += static_cast<char>(v >> 8 & 0xff);
  out += static_cast<char>(v & 0xff);
}

// A chunk is length, type, data, then a CRC over type and data.
void put_chunk(std::string& out, const char type[4], const std::string& data) {
  put_u32(out, static_cast<std::uint32_t>(data.size()));
  const std::size_t type_at = out.size();
  out.append(type, 4);
  out += data;
  const auto* crc_from = reinterpret_cast<const Bytef*>(out.data() + type_at);
  put_u32(out,
          static_cast<std::uint32_t>(crc32(0L, crc_from, static_cast<uInt>(out.size() - type_at))));
}

}  // namespace

std::string encode_png_gray8(std::uint32_t width, std::uint32_t height,
                             const std::uint8_t* pixels) {
  std::string header;
  put_u32(header, width);
  put_u32(header, height);
  header += static_cast<char>(kBitDepth);
  header += static_cast<char>(kColorTypeGray);
  header += '\0';  // compression method: deflate
  header += '\0';  // filter method: adaptive (each row names its filter)
  header += '\0';  // no interlace

  std::vector<Bytef> raw;
  raw.reserve(static_cast<std::size_t>(height) * (width + 1));
  for (std::uint32_t y = 0; y < height; ++y) {
    raw.push_back(kFilterNone);
    raw.insert(raw.end(), pixels + static_cast<std::size_t>(y) * width,
               pixels + static_cast<std::size_t>(y + 1) * width);
  }
  uLongf packed_size = compressBound(static_cast<uLong>(raw.size()));
  std::string packed(packed_size, '\0');
  if (compress(reinterpret_cast<Bytef*>(packed.data()), &packed_size, raw.data(),
               static_cast<uLong>(raw.size())) != Z_OK) {
    throw std::runtime_error("zlib compress failed while encoding a PNG");
  }
  packed.resize(packed_size);

  std::string png(reinterpret_cast<const char*>(kSignature), sizeof(kSignature));
  put_chunk(png, "IHDR", header);
  put_chunk(png, "IDAT", packed);
  put_chunk(png, "IEND", std::string());
  return png;
}

}  // namespace driftwatch::loadgen
