#include "npy_writer.h"

#include <cstdio>
#include <stdexcept>

namespace driftwatch::make_reference {

std::string npy_header(std::size_t rows, std::size_t cols) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(rows) +
                     ", " + std::to_string(cols) + "), }";
  // magic (6) + version (2) + header length (2) + dict + padding + '\n'
  const std::size_t unpadded = 10 + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict.push_back('\n');
  std::string h("\x93NUMPY\x01\x00", 8);
  h.push_back(static_cast<char>(dict.size() & 0xFF));
  h.push_back(static_cast<char>(dict.size() >> 8));
  return h + dict;
}

void write_npy(const std::string& path, const float* data, std::size_t rows, std::size_t cols) {
  static_assert(sizeof(float) == 4, "float32");
  const std::string header = npy_header(rows, cols);
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw std::runtime_error("cannot write " + tmp);
  bool ok = std::fwrite(header.data(), 1, header.size(), f) == header.size();
  // x86-64 and aarch64 are little-endian, as '<f4' says.
  if (ok && rows * cols > 0) ok = std::fwrite(data, sizeof(float), rows * cols, f) == rows * cols;
  ok = (std::fclose(f) == 0) && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw std::runtime_error("cannot write " + path);
  }
}

}  // namespace driftwatch::make_reference
