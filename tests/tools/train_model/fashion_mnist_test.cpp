#include "tools/train_model/fashion_mnist.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>

#include "tests/support/error_of.h"
#include "tests/support/idx_writer.h"
#include "tests/support/temp_dir.h"
#include "tests/tools/train_model/test_util.h"

namespace driftwatch::train_model {
namespace {

using common::kIdxImagesMagic;
using common::kIdxLabelsMagic;
using dwtest::error_of;
using dwtest::TempDir;
using dwtest::write_idx;
using ::testing::HasSubstr;

TEST(ReadFashionMnist, RejectsImageAndLabelCountMismatch) {
  TempDir dir;
  write_idx(dir.file("t10k-images-idx3-ubyte.gz"), kIdxImagesMagic, {2, 2, 2},
            {1, 2, 3, 4, 5, 6, 7, 8});
  write_idx(dir.file("t10k-labels-idx1-ubyte.gz"), kIdxLabelsMagic, {3}, {1, 2, 3});
  EXPECT_THAT(error_of([&] { read_fashion_mnist(dir.path(), "t10k"); }),
              HasSubstr("holds 2 images but"));
}

TEST(ReadFashionMnist, RejectsLabelOutsideTheTenClasses) {
  TempDir dir;
  write_idx(dir.file("t10k-images-idx3-ubyte.gz"), kIdxImagesMagic, {2, 1, 1}, {1, 2});
  write_idx(dir.file("t10k-labels-idx1-ubyte.gz"), kIdxLabelsMagic, {2}, {1, 10});
  EXPECT_THAT(error_of([&] { read_fashion_mnist(dir.path(), "t10k"); }),
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
