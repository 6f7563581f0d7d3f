#include "idx_reader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>

#include "test_files.h"

namespace driftwatch::loadgen {
namespace {

using testing::idx3_pixel;
using testing::make_idx3;
using testing::TempDir;

void expect_pattern(const IdxImages& images, std::uint32_t count, std::uint32_t rows,
                    std::uint32_t cols) {
  ASSERT_EQ(images.count, count);
  ASSERT_EQ(images.rows, rows);
  ASSERT_EQ(images.cols, cols);
  ASSERT_EQ(images.pixels.size(), std::size_t{count} * rows * cols);
  for (std::uint32_t i = 0; i < count; ++i) {
    for (std::uint32_t y = 0; y < rows; ++y) {
      for (std::uint32_t x = 0; x < cols; ++x) {
        ASSERT_EQ(images.image(i)[y * cols + x], idx3_pixel(i, y, x)) << i << "," << y << "," << x;
      }
    }
  }
}

TEST(IdxReader, ReadsPlainFile) {
  TempDir dir;
  testing::write_file(dir.file("plain.idx3"), make_idx3(5, 28, 28));
  expect_pattern(read_idx3(dir.file("plain.idx3")), 5, 28, 28);
}

TEST(IdxReader, ReadsGzippedFile) {
  TempDir dir;
  testing::write_gzip_file(dir.file("images.idx3.gz"), make_idx3(7, 4, 3));
  expect_pattern(read_idx3(dir.file("images.idx3.gz")), 7, 4, 3);
}

TEST(IdxReader, MaxImagesKeepsTheFirstOnes) {
  TempDir dir;
  testing::write_gzip_file(dir.file("images.gz"), make_idx3(10, 2, 2));
  expect_pattern(read_idx3(dir.file("images.gz"), 3), 3, 2, 2);
  expect_pattern(read_idx3(dir.file("images.gz"), 50), 10, 2, 2);
}

TEST(IdxReader, RejectsMissingTruncatedAndForeignFiles) {
  TempDir dir;
  EXPECT_THROW(read_idx3(dir.file("nope.gz")), std::runtime_error);

  std::string truncated = make_idx3(3, 28, 28);
  truncated.resize(truncated.size() - 100);
  testing::write_gzip_file(dir.file("truncated.gz"), truncated);
  EXPECT_THROW(read_idx3(dir.file("truncated.gz")), std::runtime_error);

  std::string labels = make_idx3(3, 1, 1);
  labels[3] = 0x01;  // 0x00000801 is the labels (IDX1) magic
  testing::write_file(dir.file("labels"), labels);
  try {
    read_idx3(dir.file("labels"));
    FAIL() << "labels file accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("not an IDX3"), std::string::npos) << e.what();
  }

  testing::write_file(dir.file("short"), std::string("\0\0\x08", 3));
  EXPECT_THROW(read_idx3(dir.file("short")), std::runtime_error);
}

TEST(IdxReader, ReadsFashionMnistTestSetWhenInstalled) {
  const char* path = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not installed";
  const IdxImages images = read_idx3(path);
  EXPECT_EQ(images.count, 10000u);
  EXPECT_EQ(images.rows, 28u);
  EXPECT_EQ(images.cols, 28u);
}

}  // namespace
}  // namespace driftwatch::loadgen
