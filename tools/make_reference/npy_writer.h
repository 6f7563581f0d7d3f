// Writes a float32 [rows, cols] array as a NumPy .npy file (format 1.0):
// the magic, a little header dict, then the data in C order, little-endian.
#pragma once

#include <cstddef>
#include <string>

namespace driftwatch::make_reference {

// The header (magic through the newline), padded so the data starts at a
// multiple of 64 bytes, as NumPy itself writes it.
std::string npy_header(std::size_t rows, std::size_t cols);

// Throws std::runtime_error when the file cannot be written.
void write_npy(const std::string& path, const float* data, std::size_t rows, std::size_t cols);

}  // namespace driftwatch::make_reference
