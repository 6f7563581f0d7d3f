#include "server/image.h"

#include <gtest/gtest.h>

#include "tests/server/support/test_images.h"

using namespace driftwatch::server;

namespace {
DecodeResult decode(const std::string& bytes, Image& out, std::uint64_t limit = 40'000'000) {
  return decode_image(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), limit,
                      out);
}
}  // namespace

TEST(ImageDecode, GrayPngRoundTripsExactly) {
  const Image img = dwtest::synthetic_image(37, 23, 1, 1);
  Image out;
  ASSERT_TRUE(decode(encode_png(img), out).ok());
  EXPECT_EQ(out.width, 37);
  EXPECT_EQ(out.height, 23);
  EXPECT_EQ(out.channels, 1);
  EXPECT_EQ(out.pixels, img.pixels);
}

TEST(ImageDecode, RgbPngRoundTripsExactly) {
  const Image img = dwtest::synthetic_image(20, 31, 3, 2);
  Image out;
  ASSERT_TRUE(decode(encode_png(img), out).ok());
  EXPECT_EQ(out.channels, 3);
  EXPECT_EQ(out.pixels, img.pixels);
}

TEST(ImageDecode, JpegDecodesGrayAsGrayAndColourAsRgb) {
  Image out;
  const Image gray = dwtest::synthetic_image(64, 48, 1, 3);
  ASSERT_TRUE(decode(encode_jpeg(gray, 95), out).ok());
  EXPECT_EQ(out.channels, 1);
  EXPECT_EQ(out.width, 64);
  EXPECT_EQ(out.height, 48);
  double err = 0;
  for (std::size_t i = 0; i < out.pixels.size(); ++i)
    err += std::abs(out.pixels[i] - gray.pixels[i]);
  EXPECT_LT(err / out.pixels.size(), 6.0);  // lossy, but close

  const Image rgb = dwtest::synthetic_image(64, 48, 3, 4);
  ASSERT_TRUE(decode(encode_jpeg(rgb, 95), out).ok());
  EXPECT_EQ(out.channels, 3);
}

TEST(ImageDecode, TruncatedJpegIsCorrupt) {
  const std::string jpeg = encode_jpeg(dwtest::synthetic_image(64, 64, 3, 5), 90);
  Image out;
  const auto r = decode(jpeg.substr(0, jpeg.size() / 2), out);
  EXPECT_EQ(r.status, DecodeStatus::kCorrupt);
  EXPECT_FALSE(r.detail.empty());
  EXPECT_TRUE(out.pixels.empty());
}

TEST(ImageDecode, TruncatedPngIsCorrupt) {
  const std::string png = encode_png(dwtest::synthetic_image(64, 64, 3, 6));
  Image out;
  EXPECT_EQ(decode(png.substr(0, png.size() / 2), out).status, DecodeStatus::kCorrupt);
  EXPECT_EQ(decode(png.substr(0, 12), out).status, DecodeStatus::kCorrupt);
}

TEST(ImageDecode, PixelLimitIsCheckedFromTheHeader) {
  Image out;
  const auto bomb = decode(dwtest::png_claiming(100000, 100000), out);
  EXPECT_EQ(bomb.status, DecodeStatus::kTooManyPixels);
  EXPECT_NE(bomb.detail.find("100000x100000"), std::string::npos) << bomb.detail;
  const std::string jpeg = encode_jpeg(dwtest::synthetic_image(100, 100, 1, 7), 80);
  EXPECT_EQ(decode(jpeg, out, 9999).status, DecodeStatus::kTooManyPixels);
  EXPECT_TRUE(decode(jpeg, out, 10000).ok());
}

TEST(ImageDecode, UnknownBytesAndEmptyInputAreNotImages) {
  Image out;
  EXPECT_EQ(decode("", out).status, DecodeStatus::kUnknownFormat);
  EXPECT_EQ(decode("GIF89a....", out).status, DecodeStatus::kUnknownFormat);
  EXPECT_EQ(decode(std::string("\xFF\xD8\xFF", 3), out).status, DecodeStatus::kCorrupt);
}

TEST(ImageDecode, AJpegCutBeforeItsScanDoesNotBreakTheNextJpeg) {
  // TurboJPEG 2.1 leaves a handle unusable after "missing SOS marker" in the
  // header: the next, valid, image then fails with "Invalid argument". The
  // decoder is per thread, so one bad upload would break that thread for good.
  const std::string jpeg = encode_jpeg(dwtest::synthetic_image(40, 30, 3, 8), 85);
  const auto sos = jpeg.find("\xFF\xDA");
  ASSERT_NE(sos, std::string::npos);
  Image out;
  EXPECT_EQ(decode(jpeg.substr(0, sos), out).status, DecodeStatus::kCorrupt);
  EXPECT_TRUE(decode(jpeg, out).ok());
}

TEST(ImageDecode, DctScalingPicksTheSmallestScaleThatKeepsTheTargetSize) {
  const std::string big = encode_jpeg(dwtest::synthetic_image(1600, 1200, 3, 4), 90);
  Image img;
  auto decode = [&](const std::string& bytes, DecodeOptions o) {
    return decode_image(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(),
                        40'000'000, img, o);
  };
  ASSERT_TRUE(decode(big, {}).ok());
  EXPECT_EQ(img.width, 1600);  // off by default: every pixel
  ASSERT_TRUE(decode(big, {224, 224}).ok());
  EXPECT_EQ(img.width, 400);  // 1/4; 1/8 would give 200x150, below 224
  EXPECT_EQ(img.height, 300);
  EXPECT_EQ(img.pixels.size(), 400u * 300 * 3);
  ASSERT_TRUE(decode(big, {150, 150}).ok());
  EXPECT_EQ(img.width, 200);  // 1/8 is the smallest scale there is
  // Too small for any scaling, and PNGs: decoded whole.
  const std::string small = encode_jpeg(dwtest::synthetic_image(307, 172, 3, 5), 90);
  ASSERT_TRUE(decode(small, {224, 224}).ok());
  EXPECT_EQ(img.width, 307);
  const std::string png = encode_png(dwtest::synthetic_image(800, 800, 3, 6));
  ASSERT_TRUE(decode(png, {224, 224}).ok());
  EXPECT_EQ(img.width, 800);
  // The pixel limit still applies to the file's full size.
  EXPECT_EQ(decode_image(reinterpret_cast<const std::uint8_t*>(big.data()), big.size(), 1'000'000,
                         img, {224, 224})
                .status,
            DecodeStatus::kTooManyPixels);
}
