// IDX files (the Fashion-MNIST format) for tests: a big-endian magic and
// dimensions, then the bytes, written plain or gzip-compressed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shared/common/idx_file.h"
#include "tests/support/files.h"

namespace dwtest {

inline std::string idx_bytes(std::uint32_t magic, const std::vector<std::uint32_t>& dims,
                             const std::vector<std::uint8_t>& data) {
  std::string bytes = driftwatch::common::idx_header(magic, dims);
  bytes.append(data.begin(), data.end());
  return bytes;
}

// idx_bytes() at `path`, gzip-compressed or plain; the whole byte string cut
// to keep_bytes when that is smaller (a truncated file). Throws
// std::runtime_error on an I/O error.
inline void write_idx(const std::string& path, std::uint32_t magic,
                      const std::vector<std::uint32_t>& dims, const std::vector<std::uint8_t>& data,
                      bool gzip = true, std::size_t keep_bytes = SIZE_MAX) {
  std::string bytes = idx_bytes(magic, dims, data);
  if (keep_bytes < bytes.size()) bytes.resize(keep_bytes);
  if (gzip) {
    write_gzip_file(path, bytes);
  } else {
    write_file(path, bytes);
  }
}

}  // namespace dwtest
