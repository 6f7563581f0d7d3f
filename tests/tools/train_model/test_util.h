// Helpers shared by the train_model tests: a per-test scratch directory and
// an IDX file writer.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace driftwatch::train_model::testing {

// A fresh directory per test, removed afterwards.
class ScratchDir {
 public:
  ScratchDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            ("dw_train_model_" + std::to_string(getpid()) + "_" + info->test_suite_name() + "_" +
             info->name());
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() { std::filesystem::remove_all(path_); }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Big-endian IDX header (magic, dims) followed by data; gzip-compressed or
// plain; the whole byte string cut to keep_bytes when that is smaller.
inline void write_idx(const std::string& path, std::uint32_t magic,
                      const std::vector<std::uint32_t>& dims, const std::vector<std::uint8_t>& data,
                      bool gzip = true, std::size_t keep_bytes = SIZE_MAX) {
  std::vector<std::uint8_t> bytes;
  auto be32 = [&bytes](std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8)
      bytes.push_back(static_cast<std::uint8_t>(v >> shift));
  };
  be32(magic);
  for (auto d : dims) be32(d);
  bytes.insert(bytes.end(), data.begin(), data.end());
  if (keep_bytes < bytes.size()) bytes.resize(keep_bytes);
  if (gzip) {
    gzFile f = gzopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    if (!bytes.empty()) {
      ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())),
                static_cast<int>(bytes.size()));
    }
    ASSERT_EQ(gzclose(f), Z_OK);
  } else {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
  }
}

// Smooth synthetic images (JPEG-friendly): image i is a diagonal gradient
// plus a bright square whose position depends on i.
inline std::vector<std::uint8_t> synthetic_pixels(std::size_t count, std::size_t rows,
                                                  std::size_t cols) {
  std::vector<std::uint8_t> px(count * rows * cols);
  for (std::size_t i = 0; i < count; ++i) {
    for (std::size_t y = 0; y < rows; ++y) {
      for (std::size_t x = 0; x < cols; ++x) {
        unsigned v = static_cast<unsigned>((x + y) * 200 / (rows + cols));
        if (y >= 4 + i && y < 12 + i && x >= 8 && x < 16) v = 230;
        px[(i * rows + y) * cols + x] = static_cast<std::uint8_t>(v);
      }
    }
  }
  return px;
}

inline const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

}  // namespace driftwatch::train_model::testing
