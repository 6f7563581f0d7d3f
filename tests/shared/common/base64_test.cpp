#include "shared/common/base64.h"

#include <gtest/gtest.h>

#include <random>

using driftwatch::common::base64_decode;
using driftwatch::common::base64_encode;

TEST(Base64, RoundTripsEveryLengthAndByte) {
  std::mt19937 rng(3);
  for (std::size_t len = 0; len < 300; ++len) {
    std::string in(len, '\0');
    for (auto& c : in) c = static_cast<char>(rng());
    std::string out;
    ASSERT_TRUE(base64_decode(base64_encode(in), out)) << len;
    EXPECT_EQ(out, in);
  }
}

TEST(Base64, DecodesKnownVectors) {
  std::string out;
  ASSERT_TRUE(base64_decode("Zm9vYmFy", out));
  EXPECT_EQ(out, "foobar");
  ASSERT_TRUE(base64_decode("Zm9vYg==", out));
  EXPECT_EQ(out, "foob");
  ASSERT_TRUE(base64_decode("Zm9vYmE=", out));
  EXPECT_EQ(out, "fooba");
  ASSERT_TRUE(base64_decode("", out));
  EXPECT_EQ(out, "");
}

TEST(Base64, RejectsInvalidInput) {
  std::string out;
  for (const char* bad : {"bad data", "Zm9vY", "Zm9vYg=", "Zm9v=mFy", "Zm9vYg==Zm9v", "Zm9v!",
                          "====", "Zg===", "Zh==", "Zm9vYmF=", "Zm 9v"}) {
    EXPECT_FALSE(base64_decode(bad, out)) << bad;
  }
}

TEST(Base64, SkipsLineBreaksAndAcceptsADataUrl) {
  std::string out;
  ASSERT_TRUE(base64_decode("Zm9v\r\nYmFy\n", out));
  EXPECT_EQ(out, "foobar");
  ASSERT_TRUE(base64_decode("data:image/png;base64,Zm9vYmFy", out));
  EXPECT_EQ(out, "foobar");
  EXPECT_FALSE(base64_decode("data:image/png,Zm9vYmFy", out));
}

// From tools/loadgen's encoder tests: the bodies loadgen sends.
TEST(Base64, EncodesRfc4648TestVectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
}

TEST(Base64, EncodesHighBytesWithoutSignProblems) {
  EXPECT_EQ(base64_encode(std::string("\xff\xfe\xfd", 3)), "//79");
  EXPECT_EQ(base64_encode(std::string("\x89PNG", 4)), "iVBORw==");
}
