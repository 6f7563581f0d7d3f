#include "tools/loadgen/payload_source.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <stdexcept>

#include "shared/common/base64.h"
#include "tests/support/files.h"
#include "tests/support/idx_writer.h"
#include "tests/support/temp_dir.h"
#include "tests/tools/loadgen/test_files.h"

namespace driftwatch::loadgen {
namespace {

using common::base64_encode;
using dwtest::TempDir;

TEST(PayloadSource, BodyIsPredictJsonWithBase64Image) {
  const PayloadSource p = PayloadSource::from_images({"abc"});
  EXPECT_EQ(p.body(0), R"({"image": "YWJj"})");
  EXPECT_EQ(p.body(1), p.body(0));
}

TEST(PayloadSource, ErrorShareIsExactForEveryPrefixAndAlternatesKinds) {
  PayloadSource p = PayloadSource::from_images({"a", "b", "c"});
  p.set_error_share(0.25);
  std::uint64_t errors = 0, empty = 0, bad = 0;
  for (std::uint64_t i = 0; i < 1000; ++i) {
    if (p.is_error_request(i)) {
      ++errors;
      if (p.body(i) == PayloadSource::kEmptyObjectBody) ++empty;
      if (p.body(i) == PayloadSource::kBadDataBody) ++bad;
    } else {
      EXPECT_EQ(p.body(i).rfind("{\"image\": \"", 0), 0u);
      EXPECT_NE(p.body(i), PayloadSource::kBadDataBody);
    }
    EXPECT_EQ(errors, (i + 1) / 4) << i;
  }
  EXPECT_EQ(empty, 125u);
  EXPECT_EQ(bad, 125u);
}

TEST(PayloadSource, ZeroAndFullErrorShare) {
  PayloadSource p = PayloadSource::from_images({"a"});
  for (std::uint64_t i = 0; i < 100; ++i) EXPECT_FALSE(p.is_error_request(i));
  p.set_error_share(1.0);
  for (std::uint64_t i = 0; i < 100; ++i) EXPECT_TRUE(p.is_error_request(i));
}

TEST(PayloadSource, ImagesCycleInOrderBetweenErrors) {
  PayloadSource p = PayloadSource::from_images({"0", "1", "2"});
  p.set_error_share(0.5);
  std::vector<std::string> images;
  for (std::uint64_t i = 0; i < 12; ++i) {
    if (!p.is_error_request(i)) images.push_back(p.body(i));
  }
  ASSERT_EQ(images.size(), 6u);
  for (std::size_t i = 0; i < images.size(); ++i) {
    EXPECT_EQ(images[i], make_predict_body(std::to_string(i % 3)));
  }
}

TEST(PayloadSource, ImageDirTakesOnlyImagesShuffledBySeed) {
  TempDir dir;
  for (int i = 0; i < 20; ++i)
    dwtest::write_file(dir.file(std::to_string(i) + ".jpg"), "j" + std::to_string(i));
  dwtest::write_file(dir.file("x.PNG"), "png");
  dwtest::write_file(dir.file("y.JPEG"), "jpeg");
  dwtest::write_file(dir.file("notes.txt"), "text");
  const PayloadSource a = PayloadSource::from_image_dir(dir.path(), 7);
  const PayloadSource b = PayloadSource::from_image_dir(dir.path(), 7);
  const PayloadSource c = PayloadSource::from_image_dir(dir.path(), 8);
  EXPECT_EQ(a.image_count(), 22u);
  std::set<std::string> bodies;
  bool differs = false;
  for (std::uint64_t i = 0; i < 22; ++i) {
    EXPECT_EQ(a.body(i), b.body(i));
    differs |= a.body(i) != c.body(i);
    bodies.insert(a.body(i));
  }
  EXPECT_TRUE(differs);
  EXPECT_EQ(bodies.size(), 22u);
  EXPECT_EQ(bodies.count(make_predict_body("text")), 0u);
}

TEST(PayloadSource, IdxImagesBecomePngBodies) {
  TempDir dir;
  dwtest::write_gzip_file(dir.file("i.gz"), testing::make_idx3(6, 28, 28));
  const PayloadSource p = PayloadSource::from_idx(dir.file("i.gz"), 1, 4);
  EXPECT_EQ(p.image_count(), 4u);
  const std::string png_prefix = "{\"image\": \"" + base64_encode("\x89PNG\r\n").substr(0, 8);
  for (std::uint64_t i = 0; i < 4; ++i) EXPECT_EQ(p.body(i).rfind(png_prefix, 0), 0u) << p.body(i);
}

TEST(PayloadSource, IdxLabelsFollowTheirImagesThroughTheShuffle) {
  TempDir dir;
  constexpr std::uint32_t kCount = 12;
  dwtest::write_gzip_file(dir.file("i.gz"), testing::make_idx3(kCount, 28, 28));
  std::vector<std::uint8_t> labels;
  for (std::uint32_t i = 0; i < kCount; ++i) labels.push_back(static_cast<std::uint8_t>(100 + i));
  dwtest::write_idx(dir.file("l.gz"), 0x00000801u, {kCount}, labels);
  // The body image i gets on its own (a one-image file of the same pixels).
  std::map<std::string, int> label_of_body;
  for (std::uint32_t i = 0; i < kCount; ++i) {
    std::vector<std::uint8_t> pixels;
    for (std::uint32_t y = 0; y < 28; ++y)
      for (std::uint32_t x = 0; x < 28; ++x) pixels.push_back(testing::idx3_pixel(i, y, x));
    const std::string one = dir.file("one" + std::to_string(i) + ".gz");
    dwtest::write_idx(one, 0x00000803u, {1, 28, 28}, pixels);
    label_of_body[PayloadSource::from_idx(one, 1, 0).body(0)] = static_cast<int>(100 + i);
  }
  PayloadSource p = PayloadSource::from_idx(dir.file("i.gz"), 3, 0, dir.file("l.gz"));
  ASSERT_TRUE(p.has_labels());
  p.set_error_share(0.25);
  std::set<int> seen;
  for (std::uint64_t i = 0; i < 4 * kCount; ++i) {
    if (p.is_error_request(i)) {
      EXPECT_EQ(p.true_class(i), -1);
      continue;
    }
    ASSERT_EQ(label_of_body.count(p.body(i)), 1u);
    EXPECT_EQ(p.true_class(i), label_of_body[p.body(i)]) << i;
    seen.insert(p.true_class(i));
  }
  EXPECT_EQ(seen.size(), kCount);
  EXPECT_EQ(PayloadSource::from_idx(dir.file("i.gz"), 3, 0).true_class(0), -1);  // no labels
  dwtest::write_idx(dir.file("short.gz"), 0x00000801u, {2}, {0, 1});
  EXPECT_THROW(PayloadSource::from_idx(dir.file("i.gz"), 3, 0, dir.file("short.gz")),
               std::runtime_error);
}

TEST(PayloadSource, ClearErrorsForMissingInputs) {
  TempDir dir;
  EXPECT_THROW(PayloadSource::from_image_dir(dir.path(), 1),
               std::runtime_error);  // empty
  EXPECT_THROW(PayloadSource::from_image_dir(dir.file("nope"), 1), std::runtime_error);
  EXPECT_THROW(PayloadSource::from_image_file(dir.file("nope.jpg")), std::runtime_error);
  dwtest::write_file(dir.file("empty.jpg"), "");
  EXPECT_THROW(PayloadSource::from_image_file(dir.file("empty.jpg")), std::runtime_error);
  EXPECT_THROW(PayloadSource::from_idx(dir.file("nope.gz"), 1, 0), std::runtime_error);
}

}  // namespace
}  // namespace driftwatch::loadgen
