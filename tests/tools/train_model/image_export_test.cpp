#include "tools/train_model/image_export.h"

#include <gtest/gtest.h>
#include <png.h>
#include <turbojpeg.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>

#include "tests/support/idx_writer.h"
#include "tests/support/temp_dir.h"
#include "tests/tools/train_model/test_util.h"

namespace driftwatch::train_model {
namespace {

using common::kIdxImagesMagic;
using common::kIdxLabelsMagic;
using dwtest::TempDir;

struct Decoded {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> gray;
};

std::vector<std::uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

Decoded decode_jpeg(const std::string& path) {
  const auto bytes = read_bytes(path);
  std::unique_ptr<void, int (*)(tjhandle)> tj(tjInitDecompress(), tjDestroy);
  Decoded d;
  int subsamp = -1, colorspace = -1;
  EXPECT_EQ(tjDecompressHeader3(tj.get(), bytes.data(), bytes.size(), &d.width, &d.height, &subsamp,
                                &colorspace),
            0)
      << tjGetErrorStr2(tj.get());
  EXPECT_EQ(subsamp, TJSAMP_GRAY);
  EXPECT_EQ(colorspace, TJCS_GRAY);
  d.gray.resize(static_cast<std::size_t>(d.width) * d.height);
  EXPECT_EQ(tjDecompress2(tj.get(), bytes.data(), bytes.size(), d.gray.data(), d.width, 0, d.height,
                          TJPF_GRAY, 0),
            0)
      << tjGetErrorStr2(tj.get());
  return d;
}

Decoded decode_png(const std::string& path) {
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  Decoded d;
  if (!png_image_begin_read_from_file(&img, path.c_str())) {
    ADD_FAILURE() << path << ": " << img.message;
    return d;
  }
  EXPECT_EQ(img.format & PNG_FORMAT_FLAG_COLOR, 0u) << "PNG should be grayscale";
  img.format = PNG_FORMAT_GRAY;
  d.width = static_cast<int>(img.width);
  d.height = static_cast<int>(img.height);
  d.gray.resize(PNG_IMAGE_SIZE(img));
  EXPECT_TRUE(png_image_finish_read(&img, nullptr, d.gray.data(), 0, nullptr)) << img.message;
  return d;
}

// A small data set written as IDX files and read back, as the tool does.
class ImageExport : public ::testing::Test {
 protected:
  void SetUp() override {
    dwtest::write_idx(dir_.file("t10k-images-idx3-ubyte.gz"), kIdxImagesMagic, {kCount, 28, 28},
                      testing::synthetic_pixels(kCount, 28, 28));
    dwtest::write_idx(dir_.file("t10k-labels-idx1-ubyte.gz"), kIdxLabelsMagic, {kCount},
                      {3, 0, 9, 5});
    data_ = read_fashion_mnist(dir_.path(), "t10k");
  }

  ExportOptions options(ImageFormat format, ImageTransform t = ImageTransform::kNone,
                        const std::string& sub = "out") {
    ExportOptions o;
    o.count = kCount;
    o.format = format;
    o.dir = dir_.file(sub);
    o.transform = t;
    o.seed = 7;
    return o;
  }

  static constexpr std::uint32_t kCount = 4;
  TempDir dir_;
  Dataset data_;
};

TEST_F(ImageExport, NamesFilesIndexUnderscoreLabel) {
  const auto paths = export_images(data_, options(ImageFormat::kPng));
  ASSERT_EQ(paths.size(), kCount);
  EXPECT_EQ(std::filesystem::path(paths[0]).filename(), "0_3.png");
  EXPECT_EQ(std::filesystem::path(paths[3]).filename(), "3_5.png");
  const auto jpegs = export_images(data_, options(ImageFormat::kJpeg));
  EXPECT_EQ(std::filesystem::path(jpegs[2]).filename(), "2_9.jpg");
}

TEST_F(ImageExport, PngDecodesToTheIdxPixelsExactly) {
  const auto paths = export_images(data_, options(ImageFormat::kPng));
  for (std::size_t i = 0; i < paths.size(); ++i) {
    const Decoded d = decode_png(paths[i]);
    ASSERT_EQ(d.width, 28);
    ASSERT_EQ(d.height, 28);
    EXPECT_EQ(d.gray,
              std::vector<std::uint8_t>(data_.images.image(i), data_.images.image(i) + 784));
  }
}

// Grayscale q95 JPEG: every pixel within a few levels of the source (synthetic
// images, seen: max 3, mean 0.3).
void expect_jpeg_close(const Decoded& d, const std::uint8_t* src, int max_diff, double max_mean) {
  ASSERT_EQ(d.width, 28);
  ASSERT_EQ(d.height, 28);
  int worst = 0;
  double sum = 0;
  for (std::size_t p = 0; p < 784; ++p) {
    const int diff = std::abs(static_cast<int>(d.gray[p]) - static_cast<int>(src[p]));
    worst = std::max(worst, diff);
    sum += diff;
  }
  EXPECT_LE(worst, max_diff);
  EXPECT_LE(sum / 784, max_mean);
}

TEST_F(ImageExport, JpegDecodesCloseToTheIdxPixels) {
  const auto paths = export_images(data_, options(ImageFormat::kJpeg));
  for (std::size_t i = 0; i < paths.size(); ++i) {
    expect_jpeg_close(decode_jpeg(paths[i]), data_.images.image(i), 6, 0.6);
  }
}

TEST(ImageExportRealData, JpegAndPngOfFashionMnistTestImages) {
  if (!std::filesystem::exists(std::string(testing::kFashionMnistDir) +
                               "/t10k-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "Fashion-MNIST not installed";
  }
  TempDir dir;
  const Dataset test = read_fashion_mnist(testing::kFashionMnistDir, "t10k");
  ExportOptions o;
  o.count = 20;
  o.dir = dir.file("png");
  const auto pngs = export_images(test, o);
  o.format = ImageFormat::kJpeg;
  o.dir = dir.file("jpg");
  const auto jpgs = export_images(test, o);
  for (std::size_t i = 0; i < o.count; ++i) {
    const std::uint8_t* src = test.images.image(i);
    EXPECT_EQ(decode_png(pngs[i]).gray, std::vector<std::uint8_t>(src, src + 784));
    // Sharp garment edges ring more than the synthetic gradients (seen: max 8, mean 1.3).
    expect_jpeg_close(decode_jpeg(jpgs[i]), src, 16, 2.0);
  }
}

TEST_F(ImageExport, InvertIsExact) {
  const auto paths = export_images(data_, options(ImageFormat::kPng, ImageTransform::kInvert));
  const Decoded d = decode_png(paths[1]);
  for (std::size_t p = 0; p < 784; ++p) ASSERT_EQ(d.gray[p], 255 - data_.images.image(1)[p]);
}

TEST_F(ImageExport, NoiseAndRotateChangeTheImageDeterministically) {
  for (ImageTransform t : {ImageTransform::kNoise, ImageTransform::kRotate}) {
    SCOPED_TRACE(image_transform_name(t));
    const auto a = export_images(data_, options(ImageFormat::kPng, t, "a"));
    const auto b = export_images(data_, options(ImageFormat::kPng, t, "b"));
    for (std::size_t i = 0; i < kCount; ++i) {
      const Decoded da = decode_png(a[i]);
      EXPECT_EQ(da.gray, decode_png(b[i]).gray) << "same seed, same image";
      EXPECT_NE(da.gray,
                std::vector<std::uint8_t>(data_.images.image(i), data_.images.image(i) + 784));
    }
    // Different images get different noise / angles.
    EXPECT_NE(read_bytes(a[0]), read_bytes(a[1]));
  }
}

// IDX: the transformed pixels and the labels, read back by the reader loadgen
// --idx uses, in index order.
TEST_F(ImageExport, IdxHoldsTheTransformedPixelsAndTheLabels) {
  const auto paths = export_images(data_, options(ImageFormat::kIdx, ImageTransform::kInvert));
  ASSERT_EQ(paths.size(), 2u);
  EXPECT_EQ(std::filesystem::path(paths[0]).filename(), kIdxImagesFile);
  EXPECT_EQ(std::filesystem::path(paths[1]).filename(), kIdxLabelsFile);
  const common::IdxImages images = common::read_idx_images(paths[0]);
  ASSERT_EQ(images.count, kCount);
  ASSERT_EQ(images.rows, 28u);
  ASSERT_EQ(images.cols, 28u);
  for (std::size_t i = 0; i < kCount; ++i) {
    for (std::size_t p = 0; p < 784; ++p) {
      ASSERT_EQ(images.image(i)[p], 255 - data_.images.image(i)[p]) << i << " " << p;
    }
  }
  EXPECT_EQ(common::read_idx_labels(paths[1]).labels, (std::vector<std::uint8_t>{3, 0, 9, 5}));
}

TEST_F(ImageExport, RejectsMoreImagesThanTheSetHolds) {
  auto o = options(ImageFormat::kPng);
  o.count = kCount + 1;
  EXPECT_THROW(export_images(data_, o), std::runtime_error);
}

TEST(ImageFormatParsing, AcceptsJpegJpgPngAndIdx) {
  EXPECT_EQ(parse_image_format("jpeg"), ImageFormat::kJpeg);
  EXPECT_EQ(parse_image_format("jpg"), ImageFormat::kJpeg);
  EXPECT_EQ(parse_image_format("png"), ImageFormat::kPng);
  EXPECT_EQ(parse_image_format("idx"), ImageFormat::kIdx);
  EXPECT_FALSE(parse_image_format("gif"));
}

}  // namespace
}  // namespace driftwatch::train_model
