#include "shared/common/idx_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/support/error_of.h"
#include "tests/support/idx_writer.h"
#include "tests/support/temp_dir.h"

namespace driftwatch::common {
namespace {

using dwtest::error_of;
using dwtest::TempDir;
using dwtest::write_idx;
using ::testing::HasSubstr;

// Pixel (i, y, x) of the synthetic images: distinct per image and position.
std::vector<std::uint8_t> synthetic_pixels(std::size_t count, std::size_t rows, std::size_t cols) {
  std::vector<std::uint8_t> px(count * rows * cols);
  for (std::size_t i = 0; i < px.size(); ++i) px[i] = static_cast<std::uint8_t>(i * 7 + i / 251);
  return px;
}

TEST(IdxReader, ReadsGzipImagesWithShapeAndPixels) {
  TempDir dir;
  const auto px = synthetic_pixels(3, 5, 4);
  write_idx(dir.file("img.gz"), kIdxImagesMagic, {3, 5, 4}, px);
  const IdxImages images = read_idx_images(dir.file("img.gz"));
  EXPECT_EQ(images.count, 3u);
  EXPECT_EQ(images.rows, 5u);
  EXPECT_EQ(images.cols, 4u);
  EXPECT_EQ(images.pixels, px);
  EXPECT_EQ(images.image(2)[0], px[2 * 20]);
}

TEST(IdxReader, ReadsUncompressedFilesToo) {
  TempDir dir;
  const std::vector<std::uint8_t> px = {1, 2, 3, 4};
  write_idx(dir.file("img"), kIdxImagesMagic, {1, 2, 2}, px, /*gzip=*/false);
  EXPECT_EQ(read_idx_images(dir.file("img")).pixels, px);
}

TEST(IdxReader, ReadsLabels) {
  TempDir dir;
  write_idx(dir.file("lab.gz"), kIdxLabelsMagic, {4}, {0, 9, 3, 3});
  EXPECT_EQ(read_idx_labels(dir.file("lab.gz")).labels, (std::vector<std::uint8_t>{0, 9, 3, 3}));
}

TEST(IdxReader, RejectsBadMagicNamingBothValues) {
  TempDir dir;
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
  TempDir dir;
  write_idx(dir.file("img.gz"), kIdxImagesMagic, {2, 28, 28}, {}, true, /*keep_bytes=*/10);
  EXPECT_THAT(error_of([&] { read_idx_images(dir.file("img.gz")); }),
              HasSubstr("truncated header"));
  write_idx(dir.file("empty.gz"), kIdxImagesMagic, {}, {}, true, /*keep_bytes=*/0);
  EXPECT_THAT(error_of([&] { read_idx_images(dir.file("empty.gz")); }),
              HasSubstr("truncated header"));
}

TEST(IdxReader, RejectsTruncatedData) {
  TempDir dir;
  const auto px = synthetic_pixels(2, 28, 28);
  write_idx(dir.file("img.gz"), kIdxImagesMagic, {3, 28, 28}, px);  // header says 3 images
  EXPECT_THAT(error_of([&] { read_idx_images(dir.file("img.gz")); }),
              HasSubstr("truncated image data"));
  write_idx(dir.file("lab.gz"), kIdxLabelsMagic, {5}, {1, 2, 3});
  EXPECT_THAT(error_of([&] { read_idx_labels(dir.file("lab.gz")); }),
              HasSubstr("truncated label data"));
}

TEST(IdxReader, RejectsTrailingBytes) {
  TempDir dir;
  write_idx(dir.file("lab.gz"), kIdxLabelsMagic, {2}, {1, 2, 3});
  EXPECT_THAT(error_of([&] { read_idx_labels(dir.file("lab.gz")); }), HasSubstr("trailing bytes"));
}

TEST(IdxReader, RejectsImplausibleDimensionsBeforeAllocating) {
  TempDir dir;
  write_idx(dir.file("img.gz"), kIdxImagesMagic, {0xFFFFFFFFu, 28, 28}, {});
  EXPECT_THAT(error_of([&] { read_idx_images(dir.file("img.gz")); }),
              HasSubstr("implausible image count"));
}

TEST(IdxReader, RejectsCorruptGzip) {
  TempDir dir;
  write_idx(dir.file("img.gz"), kIdxImagesMagic, {4, 28, 28}, synthetic_pixels(4, 28, 28));
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

// From loadgen: --max-images reads only the first images of a file.
TEST(IdxReader, MaxImagesKeepsTheFirstOnes) {
  TempDir dir;
  const auto px = synthetic_pixels(10, 2, 2);
  write_idx(dir.file("img.gz"), kIdxImagesMagic, {10, 2, 2}, px);
  const IdxImages first = read_idx_images(dir.file("img.gz"), 3);
  EXPECT_EQ(first.count, 3u);
  EXPECT_EQ(first.pixels, std::vector<std::uint8_t>(px.begin(), px.begin() + 3 * 4));
  EXPECT_EQ(read_idx_images(dir.file("img.gz"), 50).pixels, px);
}

TEST(IdxReader, MaxImagesStillRejectsTruncatedData) {
  TempDir dir;
  write_idx(dir.file("img.gz"), kIdxImagesMagic, {10, 2, 2}, synthetic_pixels(2, 2, 2));
  EXPECT_THAT(error_of([&] { read_idx_images(dir.file("img.gz"), 3); }),
              HasSubstr("truncated image data"));
}

TEST(IdxReader, NamesTheExpectedKindOfFileOnBadMagic) {
  TempDir dir;
  write_idx(dir.file("lab"), kIdxLabelsMagic, {2}, {1, 2}, /*gzip=*/false);
  EXPECT_THAT(error_of([&] { read_idx_images(dir.file("lab")); }), HasSubstr("not an IDX3"));
}

TEST(IdxReader, RejectsAFileShorterThanItsMagic) {
  TempDir dir;
  write_idx(dir.file("short"), kIdxImagesMagic, {}, {}, /*gzip=*/false, /*keep_bytes=*/3);
  EXPECT_THAT(error_of([&] { read_idx_images(dir.file("short")); }), HasSubstr("truncated header"));
}

TEST(IdxReader, RejectsImageDataOver4GiBWithoutWrapping) {
  TempDir dir;
  // 2^24 images of 2^24 x 2^24 pixels: the product wraps to 0 in 64 bits.
  write_idx(dir.file("img.gz"), kIdxImagesMagic, {1u << 24, 1u << 24, 1u << 24}, {});
  EXPECT_THAT(error_of([&] { read_idx_images(dir.file("img.gz")); }),
              HasSubstr("larger than 4 GiB"));
}

TEST(IdxReader, ReadsTheInstalledFashionMnistTestImages) {
  const char* path = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not installed";
  const IdxImages images = read_idx_images(path);
  EXPECT_EQ(images.count, 10000u);
  EXPECT_EQ(images.rows, 28u);
  EXPECT_EQ(images.cols, 28u);
}

// Found by fuzz_idx: a 20-byte file whose header claims 64 images of
// 4096 x 4096 made the reader allocate (and zero) 1 GiB before finding the
// data missing. Memory now follows the bytes in the file. Checked in a child
// under a 256 MiB address-space limit (not under ASan, whose shadow memory
// needs more address space than that).
#if defined(__SANITIZE_ADDRESS__)
#define DW_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DW_UNDER_ASAN 1
#endif
#endif
#ifndef DW_UNDER_ASAN
TEST(IdxReader, AHeaderClaimingGigabytesCostsOnlyWhatTheFileHolds) {
  TempDir dir;
  write_idx(dir.file("claims.idx"), kIdxImagesMagic, {64, 4096, 4096}, {1, 2, 3, 4},
            /*gzip=*/false);
  write_idx(dir.file("claims_labels.idx"), kIdxLabelsMagic, {1u << 24}, {1, 2}, /*gzip=*/false);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const rlimit limit{256u << 20, 256u << 20};
    ::setrlimit(RLIMIT_AS, &limit);
    int truncated = 0;
    for (const bool images : {true, false}) {
      try {
        if (images) {
          read_idx_images(dir.file("claims.idx"), 64);
        } else {
          read_idx_labels(dir.file("claims_labels.idx"));
        }
      } catch (const std::runtime_error& e) {
        truncated += std::string(e.what()).find("truncated") != std::string::npos;
      } catch (const std::bad_alloc&) {
        ::_exit(3);
      }
    }
    ::_exit(truncated == 2 ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "3: bad_alloc, 1: not reported as truncated";
}
#endif

}  // namespace
}  // namespace driftwatch::common
