#include "driftwatch/server/image.h"

#include <gtest/gtest.h>

#include "support/test_images.h"

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
