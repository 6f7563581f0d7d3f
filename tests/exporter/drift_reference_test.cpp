// ReferenceSource: a file is ready at once, a warmup after N embeddings of
// the producer's D, a saved warmup at the next start.
#include "exporter/drift_reference.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "shared/common/npy.h"
#include "tests/exporter/exporter_test_support.h"

namespace driftwatch::exporter {
namespace {

using testing::gaussian_rows;
using testing::TempDir;

// W = 5, ert = 20, 200 bootstraps: a reference needs 11 rows.
DriftStageOptions options(const std::string& reference) {
  DriftStageOptions o;
  o.reference = reference;
  o.params = drift::MmdParams{5, 20.0, 200, {}, 0, {}};
  return o;
}

TEST(ReferenceSource, AFileIsReadyOnceAtStart) {
  TempDir dir;
  const std::string path = dir.file("ref.npy");
  const std::vector<float> rows = gaussian_rows(30, 3, 0, 1);
  common::write_npy(path, common::NpyArray::from_float32({30, 3}, rows));
  ReferenceSource source(options(path));
  EXPECT_EQ(source.kind(), ReferenceSource::Kind::kFile);
  EXPECT_EQ(source.rows(), 30u);
  EXPECT_EQ(source.dim(), 3u);
  EXPECT_FALSE(source.collecting());
  const auto ready = source.take();
  ASSERT_TRUE(ready.has_value());
  EXPECT_EQ(ready->rows, rows);
  EXPECT_FALSE(source.take().has_value());
}

TEST(ReferenceSource, NoReferenceIsNoneAndNeverReady) {
  ReferenceSource source(options(""));
  EXPECT_EQ(source.kind(), ReferenceSource::Kind::kNone);
  EXPECT_FALSE(source.collecting());
  EXPECT_FALSE(source.take().has_value());
}

TEST(ReferenceSource, AWarmupFollowsTheProducersDimensionUntilComplete) {
  TempDir dir;
  DriftStageOptions o = options("warmup:12");
  o.reference_save = dir.file("saved.npy");
  ReferenceSource source(o);
  EXPECT_EQ(source.kind(), ReferenceSource::Kind::kWarmup);
  EXPECT_TRUE(source.collecting());
  source.set_producer_dim(4);
  const std::vector<float> rows = gaussian_rows(12, 2, 0, 3);
  source.add(rows.data());
  source.set_producer_dim(2);  // a new D restarts the collection
  EXPECT_EQ(source.collected(), 0u);
  for (std::size_t i = 0; i < 11; ++i) source.add(rows.data() + i * 2);
  EXPECT_TRUE(source.collecting());
  EXPECT_FALSE(source.take().has_value());
  source.add(rows.data() + 22);
  EXPECT_FALSE(source.collecting());
  const auto ready = source.take();
  ASSERT_TRUE(ready.has_value());
  EXPECT_EQ(ready->rows, rows);
  EXPECT_EQ(ready->dim, 2u);

  // The next start reads the saved warmup back instead of collecting.
  ReferenceSource again(o);
  EXPECT_TRUE(again.reused_saved());
  EXPECT_FALSE(again.collecting());
  const auto saved = again.take();
  ASSERT_TRUE(saved.has_value());
  EXPECT_EQ(saved->rows, rows);
}

}  // namespace
}  // namespace driftwatch::exporter
