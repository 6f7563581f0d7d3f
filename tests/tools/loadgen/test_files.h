#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace driftwatch::loadgen::testing {

// A fresh empty directory under the system temp dir, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// The bytes of an IDX3 file with `count` images of rows x cols; pixel
// (i, y, x) = (i * 31 + y * 7 + x) mod 256, so every image differs.
std::string make_idx3(std::uint32_t count, std::uint32_t rows, std::uint32_t cols);
std::uint8_t idx3_pixel(std::uint32_t i, std::uint32_t y, std::uint32_t x);

void write_file(const std::string& path, const std::string& bytes);
void write_gzip_file(const std::string& path, const std::string& bytes);

}  // namespace driftwatch::loadgen::testing
