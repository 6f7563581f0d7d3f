#pragma once

#include <cstdint>
#include <string>

namespace driftwatch::loadgen {

// Encodes an 8-bit grayscale image as a PNG file in memory: signature, IHDR,
// one IDAT (zlib stream of rows, each with filter type 0) and IEND. That is
// all a decoder needs, so no libpng is required to make test traffic.
// `pixels` holds height rows of width bytes. Throws std::runtime_error if zlib fails.
std::string encode_png_gray8(std::uint32_t width, std::uint32_t height, const std::uint8_t* pixels);

}  // namespace driftwatch::loadgen
