#include "idx_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>

#include "test_util.h"

namespace driftwatch::train_model {
namespace {

using ::testing::HasSubstr;
using testing::ScratchDir;
using testing::write_idx;

// Runs f and returns the what() of the runtime_error it must throw.
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no exception";
  return "";
}

TEST(IdxReader, ReadsGzipImagesWithShapeAndPixels) {
  ScratchDir dir;
  const auto px = testing::synthetic_pixels(3, 5, 4);
  write_idx(dir.file("img.gz"), kIdxImagesMagic, {3, 5, 4}, px);
  const IdxImages images = read_idx_images(dir.file("img.gz"));
  EXPECT_EQ(images.count, 3u);
  EXPECT_EQ(images.rows, 5u);
  EXPECT_EQ(images.cols, 4u);
  EXPECT_EQ(images.pixels, px);
  EXPECT_EQ(images.image(2)[0], px[2 * 20]);
}

TEST(IdxReader, ReadsUncompressedFilesToo) {
  ScratchDir dir;
  const std::vector<std::uint8_t> px = {1, 2, 3, 4};
  write_idx(dir.file("img"), kIdxImagesMagic, {1, 2, 2}, px, /*gzip=*/false);
  EXPECT_EQ(read_idx_images(dir.file("img")).pixels, px);
}

TEST(IdxReader, ReadsLabels) {
  ScratchDir dir;
  write_idx(dir.file("lab.gz"), kIdxLabelsMagic, {4}, {0, 9, 3, 3});
  EXPECT_EQ(read_idx_labels(dir.file("lab.gz")).labels, (std::vector<std::uint8_t>{0, 9, 3, 3}));
}

TEST(IdxReader, RejectsBadMagicNamingBothValues) {
  ScratchDir dir;
  write_idx(dir.file("lab.gz"), kIdxLabelsMagic, {2}, {1, 2});
  const std::string err = error_of([&] { read_idx_images(dir.file("lab.gz")); });
  EXPECT_THAT(err, HasSubstr("lab.gz"));
  EXPECT_THAT(err, HasSubstr("bad magic 0x00000801, expected 0x00000803"));
  EXPECT_THAT(error_of([&] {
                write_idx(dir.file("img.gz"), kIdxImagesMagic, {1, 1, 1}, {7});
                read_idx_labels(dir.file("img.gz"));
              }),
              HasSubstr("bad magic 0x00000803, expected 0x00000801"));
}

TEST(IdxReader, RejectsTruncatedHeader) {
  ScratchDir dir;
  write_idx(dir.file("img.gz"), kIdxImagesMagic, {2, 28, 28}, {}, true, /*keep_bytes=*/10);
  EXPECT_THAT(error_of([&] { read_idx_images(dir.file("img.gz")); }),
              HasSubstr("truncated header"));
  write_idx(dir.file("empty.gz"), kIdxImagesMagic, {}, {}, true, /*keep_bytes=*/0);
  EXPECT_THAT(error_of([&] { read_idx_images(dir.file("empty.gz")); }),
              HasSubstr("truncated header"));
}

TEST(IdxReader, RejectsTruncatedData) {
  ScratchDir dir;
  const auto px = testing::synthetic_pixels(2, 28, 28);
  write_idx(dir.file("img.gz"), kIdxImagesMagic, {3, 28, 28}, px);  // header says 3 images
  EXPECT_THAT(error_of([&] { read_idx_images(dir.file("img.gz")); }),
              HasSubstr("truncated image data"));
  write_idx(dir.file("lab.gz"), kIdxLabelsMagic, {5}, {1, 2, 3});
  EXPECT_THAT(error_of([&] { read_idx_labels(dir.file("lab.gz")); }),
              HasSubstr("truncated label data"));
}

TEST(IdxReader, RejectsTrailingBytes) {
  ScratchDir dir;
  write_idx(dir.file("lab.gz"), kIdxLabelsMagic, {2}, {1, 2, 3});
  EXPECT_THAT(error_of([&] { read_idx_labels(dir.file("lab.gz")); }), HasSubstr("trailing bytes"));
}

TEST(IdxReader, RejectsImplausibleDimensionsBeforeAllocating) {
  ScratchDir dir;
  write_idx(dir.file("img.gz"), kIdxImagesMagic, {0xFFFFFFFFu, 28, 28}, {});
  EXPECT_THAT(error_of([&] { read_idx_images(dir.file("img.gz")); }),
              HasSubstr("implausible image count"));
}

TEST(IdxReader, RejectsCorruptGzip) {
  ScratchDir dir;
  write_idx(dir.file("img.gz"), kIdxImagesMagic, {4, 28, 28}, testing::synthetic_pixels(4, 28, 28));
  // Flip bytes in the middle of the deflate stream.
  std::fstream f(dir.file("img.gz"), std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(40);
  f.write("\xff\x00\xff\x00\xff\x00\xff\x00", 8);
  f.close();
  EXPECT_THROW(read_idx_images(dir.file("img.gz")), std::runtime_error);
}

TEST(IdxReader, RejectsMissingFile) {
  EXPECT_THAT(error_of([] { read_idx_images("/nonexistent/x.gz"); }),
              HasSubstr("/nonexistent/x.gz: cannot open"));
}

TEST(ReadFashionMnist, RejectsImageAndLabelCountMismatch) {
  ScratchDir dir;
  write_idx(dir.file("t10k-images-idx3-ubyte.gz"), kIdxImagesMagic, {2, 2, 2},
            {1, 2, 3, 4, 5, 6, 7, 8});
  write_idx(dir.file("t10k-labels-idx1-ubyte.gz"), kIdxLabelsMagic, {3}, {1, 2, 3});
  EXPECT_THAT(error_of([&] { read_fashion_mnist(dir.path().string(), "t10k"); }),
              HasSubstr("holds 2 images but"));
}

TEST(ReadFashionMnist, RejectsLabelOutsideTheTenClasses) {
  ScratchDir dir;
  write_idx(dir.file("t10k-images-idx3-ubyte.gz"), kIdxImagesMagic, {2, 1, 1}, {1, 2});
  write_idx(dir.file("t10k-labels-idx1-ubyte.gz"), kIdxLabelsMagic, {2}, {1, 10});
  EXPECT_THAT(error_of([&] { read_fashion_mnist(dir.path().string(), "t10k"); }),
              HasSubstr("label 10 at index 1"));
}

TEST(ReadFashionMnist, ReadsTheInstalledDataSet) {
  if (!std::filesystem::exists(std::string(testing::kFashionMnistDir) +
                               "/t10k-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "Fashion-MNIST not installed";
  }
  const Dataset test = read_fashion_mnist(testing::kFashionMnistDir, "t10k");
  EXPECT_EQ(test.images.count, 10000u);
  EXPECT_EQ(test.images.rows, 28u);
  EXPECT_EQ(test.images.cols, 28u);
  std::vector<int> per_class(10);
  for (auto l : test.labels.labels) ++per_class[l];
  EXPECT_EQ(per_class, std::vector<int>(10, 1000));
}

}  // namespace
}  // namespace driftwatch::train_model
