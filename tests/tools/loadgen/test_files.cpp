#include "tests/tools/loadgen/test_files.h"

#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace driftwatch::loadgen::testing {

namespace fs = std::filesystem;

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  path_ = (fs::temp_directory_path() /
           ("loadgen-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++)))
              .string();
  fs::remove_all(path_);
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

std::uint8_t idx3_pixel(std::uint32_t i, std::uint32_t y, std::uint32_t x) {
  return static_cast<std::uint8_t>((i * 31 + y * 7 + x) % 256);
}

std::string make_idx3(std::uint32_t count, std::uint32_t rows, std::uint32_t cols) {
  std::string out;
  for (const std::uint32_t v : {0x00000803u, count, rows, cols}) {
    out += static_cast<char>(v >> 24);
    out += static_cast<char>(v >> 16 & 0xff);
    out += static_cast<char>(v >> 8 & 0xff);
    out += static_cast<char>(v & 0xff);
  }
  for (std::uint32_t i = 0; i < count; ++i) {
    for (std::uint32_t y = 0; y < rows; ++y) {
      for (std::uint32_t x = 0; x < cols; ++x) out += static_cast<char>(idx3_pixel(i, y, x));
    }
  }
  return out;
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

void write_gzip_file(const std::string& path, const std::string& bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  if (file == nullptr) throw std::runtime_error("cannot write " + path);
  const int written = gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(file);
  if (written != static_cast<int>(bytes.size())) throw std::runtime_error("gzwrite failed");
}

}  // namespace driftwatch::loadgen::testing
