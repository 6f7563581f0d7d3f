// DriftStage: reference validation, calibration off the pipeline thread,
// warmup, dimension checks against the producer, steps into metrics and /drift.
#include "exporter/drift_stage.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <functional>
#include <random>

#include "exporter/exporter_metrics.h"
#include "shared/common/npy.h"
#include "tests/exporter/exporter_test_support.h"

namespace driftwatch::exporter {
namespace {

using testing::gaussian_rows;
using testing::has_line;
using testing::sample_value;
using testing::TempDir;

constexpr std::size_t kDim = 8;

DriftStageOptions fast_options(const std::string& reference) {
  DriftStageOptions o;
  o.reference = reference;
  o.params.window_size = 10;
  o.params.ert = 50;
  o.params.n_bootstraps = 500;
  o.params.seed = 3;
  o.history = 16;
  o.batch = 7;
  return o;
}

std::string write_reference(const TempDir& dir, std::size_t rows, std::size_t dim) {
  const std::string path = dir.file("ref.npy");
  common::write_npy(path,
                    common::NpyArray::from_float32({rows, dim}, gaussian_rows(rows, dim, 0, 1)));
  return path;
}

std::string error_of(const DriftStageOptions& options) {
  ExporterMetrics metrics;
  try {
    DriftStage monitor(options, metrics.drift());
  } catch (const DriftConfigError& e) {
    return e.what();
  }
  return "no error";
}

// Records carrying the given embeddings as successful predictions.
std::vector<ring::Record> records_for(const std::vector<float>& rows, std::size_t dim) {
  std::vector<ring::Record> out(rows.size() / dim);
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i].fields = testing::predict_ok(0, 0.9f);
    out[i].fields.embedding_count = static_cast<std::uint32_t>(dim);
    out[i].embedding.assign(rows.begin() + static_cast<std::ptrdiff_t>(i * dim),
                            rows.begin() + static_cast<std::ptrdiff_t>((i + 1) * dim));
  }
  return out;
}

bool wait_ready(DriftStage& m) {
  return testing::eventually([&] {
    m.tick();  // the pipeline's per-iteration call adopts a finished calibration
    return m.status().state() == DriftStage::State::kReady;
  });
}

// A stage on a fresh 200-row reference with its producer (D = kDim)
// attached, waited for until calibrated (`ready` says whether it got there).
struct ReadyStage {
  explicit ReadyStage(const std::function<void(DriftStageOptions&)>& adjust = {})
      : stage(
            [&] {
              DriftStageOptions o = fast_options(write_reference(dir, 200, kDim));
              if (adjust) adjust(o);
              return o;
            }(),
            metrics.drift()) {
    stage.on_producer(testing::producer_info(kDim));
    ready = wait_ready(stage);
  }
  TempDir dir;
  ExporterMetrics metrics;
  DriftStage stage;
  bool ready = false;
};

TEST(DriftStage, WithoutAReferenceIsDisabledAndSaysSo) {
  ExporterMetrics metrics;
  DriftStage m(fast_options(""), metrics.drift());
  EXPECT_EQ(m.status().state(), DriftStage::State::kDisabled);
  EXPECT_NE(m.status().to_json().find("\"state\":\"disabled\""), std::string::npos);
  EXPECT_TRUE(has_line(metrics.render(), "drift_detector_ready 0"));
  EXPECT_TRUE(has_line(metrics.render(), "drift_detector_enabled 0"));
}

TEST(DriftStage, RejectsAReferenceOfTheWrongDtype) {
  TempDir dir;
  const std::string path = dir.file("f64.npy");
  common::write_npy(path, common::NpyArray::from_float64({50, 4}, std::vector<double>(200, 0.5)));
  const std::string e = error_of(fast_options(path));
  EXPECT_NE(e.find("<f8"), std::string::npos) << e;
  EXPECT_NE(e.find("float32"), std::string::npos) << e;
}

TEST(DriftStage, RejectsAReferenceThatIsNotTwoDimensional) {
  TempDir dir;
  const std::string path = dir.file("3d.npy");
  common::write_npy(path,
                    common::NpyArray::from_float32({5, 10, 4}, std::vector<float>(200, 0.5f)));
  const std::string e = error_of(fast_options(path));
  EXPECT_NE(e.find("(5, 10, 4)"), std::string::npos) << e;
  EXPECT_NE(e.find("2-D"), std::string::npos) << e;
}

TEST(DriftStage, RejectsAReferenceTooSmallForTheWindow) {
  TempDir dir;
  const std::string e = error_of(fast_options(write_reference(dir, 15, 4)));
  EXPECT_NE(e.find("window size 10"), std::string::npos) << e;
}

TEST(DriftStage, RejectsAMissingReferenceFileAndBadWarmupSpecs) {
  TempDir dir;
  EXPECT_NE(error_of(fast_options(dir.file("nope.npy"))).find("nope.npy"), std::string::npos);
  EXPECT_NE(error_of(fast_options("warmup:abc")).find("warmup:N"), std::string::npos);
  EXPECT_NE(error_of(fast_options("warmup:0")).find("warmup:N"), std::string::npos);
  EXPECT_NE(error_of(fast_options("warmup:12")).find("window size"), std::string::npos);
}

TEST(DriftStage, CalibratesInTheBackgroundThenStepsIntoMetricsAndHistory) {
  ReadyStage s;
  DriftStage& m = s.stage;
  ExporterMetrics& metrics = s.metrics;
  ASSERT_TRUE(s.ready) << m.status().to_json();
  EXPECT_TRUE(has_line(metrics.render(), "drift_detector_ready 1"));
  EXPECT_TRUE(has_line(metrics.render(), "drift_detector_enabled 1"));

  // 40 usable records plus ones the detector must skip.
  auto records = records_for(gaussian_rows(40, kDim, 0.0f, 9), kDim);
  records.push_back(records[0]);
  records.back().fields.class_index = -1;  // a failed request
  records.push_back(records[0]);
  records.back().embedding.resize(kDim - 1);  // wrong dimension
  m.feed(records.data(), records.size());

  EXPECT_EQ(m.status().steps(), 40u);
  const std::string text = metrics.render();
  EXPECT_EQ(sample_value(text, "drift_detector_step"), 40.0) << text;
  EXPECT_EQ(sample_value(text, "drift_test_stat_count"), 40.0);
  EXPECT_EQ(sample_value(text, "drift_events_total"),
            static_cast<double>(m.status().drift_events()));
  const std::string json = m.status().to_json();
  EXPECT_NE(json.find("\"state\":\"ready\""), std::string::npos) << json;
  // Only the last 16 steps are kept: t = 25 .. 40.
  EXPECT_NE(json.find("{\"t\":25,"), std::string::npos) << json;
  EXPECT_EQ(json.find("{\"t\":24,"), std::string::npos) << json;
  EXPECT_NE(json.find("{\"t\":40,"), std::string::npos) << json;
  EXPECT_NE(json.find("\"size\":200,\"dim\":8"), std::string::npos) << json;
}

TEST(DriftStage, ShiftedEmbeddingsRaiseDriftEvents) {
  ReadyStage s;
  DriftStage& m = s.stage;
  ASSERT_TRUE(s.ready);
  auto shifted = records_for(gaussian_rows(60, kDim, 1.5f, 11), kDim);
  m.feed(shifted.data(), shifted.size());
  // Once the window holds mostly shifted rows, nearly every step is a drift step.
  EXPECT_GE(m.status().drift_events(), 40u) << m.status().to_json();
  EXPECT_GE(sample_value(s.metrics.render(), "drift_events_total").value_or(0), 40.0);
}

// --detector mmd-multi: same metrics and /drift document, its own rows check.
TEST(DriftStage, MultiWindowDetectorFeedsTheSameMetrics) {
  TempDir dir;
  DriftStageOptions o = fast_options(write_reference(dir, 200, kDim));
  o.detector = "mmd-multi";
  ExporterMetrics metrics;
  DriftStage m(o, metrics.drift());
  m.on_producer(testing::producer_info(kDim));
  ASSERT_TRUE(wait_ready(m));
  EXPECT_NE(m.status().to_json().find("\"detector\":\"mmd-multi\""), std::string::npos);
  auto shifted = records_for(gaussian_rows(60, kDim, 1.5f, 11), kDim);
  m.feed(shifted.data(), shifted.size());
  EXPECT_EQ(m.status().steps(), 60u);
  EXPECT_GE(m.status().drift_events(), 40u) << m.status().to_json();
  EXPECT_GE(sample_value(metrics.render(), "drift_events_total").value_or(0), 40.0);
  // Windows 5, 10, 25 need N >= 51, where mmd's W = 10 needs 21.
  o.reference = write_reference(dir, 40, kDim);
  EXPECT_NE(error_of(o).find("window size 25"), std::string::npos) << error_of(o);
}

TEST(DriftStage, PausesWhileTheProducerWritesAnotherDimension) {
  TempDir dir;
  ExporterMetrics metrics;
  DriftStage m(fast_options(write_reference(dir, 200, kDim)), metrics.drift());
  m.on_producer(testing::producer_info(kDim + 4));
  EXPECT_EQ(m.status().state(), DriftStage::State::kError);
  const std::string json = m.status().to_json();
  EXPECT_NE(json.find("D=8"), std::string::npos) << json;
  EXPECT_NE(json.find("D=12"), std::string::npos) << json;
  // A producer with the right dimension resumes it.
  m.on_producer(testing::producer_info(kDim));
  EXPECT_TRUE(wait_ready(m)) << m.status().to_json();
}

TEST(DriftStage, WarmupCollectsTheFirstSuccessfulRecordsThenCalibrates) {
  ExporterMetrics metrics;
  DriftStage m(fast_options("warmup:100"), metrics.drift());
  EXPECT_EQ(m.status().state(), DriftStage::State::kWarmup);
  m.on_producer(testing::producer_info(kDim));
  auto first = records_for(gaussian_rows(60, kDim, 0.0f, 5), kDim);
  m.feed(first.data(), first.size());
  EXPECT_EQ(m.status().state(), DriftStage::State::kWarmup);
  EXPECT_NE(m.status().to_json().find("\"warmup_collected\":60"), std::string::npos)
      << m.status().to_json();
  auto second = records_for(gaussian_rows(60, kDim, 0.0f, 6), kDim);
  m.feed(second.data(), second.size());
  EXPECT_NE(m.status().state(), DriftStage::State::kWarmup);
  ASSERT_TRUE(wait_ready(m)) << m.status().to_json();
  EXPECT_NE(m.status().to_json().find("\"source\":\"warmup\",\"path\":null,\"size\":100,\"dim\":8"),
            std::string::npos)
      << m.status().to_json();
  // Records that arrived while calibrating were not tested.
  EXPECT_EQ(m.status().steps(), 0u);
}

TEST(DriftStage, SecondStartReadsTheThresholdsFromTheCache) {
  TempDir dir;
  DriftStageOptions o = fast_options(write_reference(dir, 200, kDim));
  o.cache_path = dir.file("thresholds.cache");
  std::string thresholds_first;
  {
    ExporterMetrics metrics;
    DriftStage m(o, metrics.drift());
    ASSERT_TRUE(wait_ready(m));
    EXPECT_NE(m.status().to_json().find("\"from_cache\":false"), std::string::npos);
  }
  ExporterMetrics metrics;
  DriftStage m(o, metrics.drift());
  ASSERT_TRUE(wait_ready(m));
  EXPECT_NE(m.status().to_json().find("\"from_cache\":true"), std::string::npos)
      << m.status().to_json();
}

TEST(DriftStage, PublishesTheThresholdAsSoonAsItIsReady) {
  ReadyStage s;
  DriftStage& m = s.stage;
  ASSERT_TRUE(s.ready);
  EXPECT_EQ(m.status().steps(), 0u);
  const auto threshold = sample_value(s.metrics.render(), "drift_threshold");
  ASSERT_TRUE(threshold.has_value());
  EXPECT_GT(*threshold, 0.0);
  EXPECT_NE(m.status().to_json().find("\"share\":0,\"active\":false,\"episodes\":0"),
            std::string::npos)
      << m.status().to_json();
}

TEST(DriftStage, SustainedShiftStartsOneEpisodeWithItsStartStepAndTime) {
  ReadyStage s([](DriftStageOptions& o) { o.sustained.share_steps = 40; });
  DriftStage& m = s.stage;
  ExporterMetrics& metrics = s.metrics;
  ASSERT_TRUE(s.ready);
  auto clean = records_for(gaussian_rows(30, kDim, 0.0f, 21), kDim);
  m.feed(clean.data(), clean.size());
  EXPECT_EQ(sample_value(metrics.render(), "drift_active"), 0.0);
  auto shifted = records_for(gaussian_rows(80, kDim, 1.5f, 22), kDim);
  for (std::size_t i = 0; i < shifted.size(); ++i)
    shifted[i].fields.timestamp_ns = 1'800'000'000'000'000'000 + i * 1'000'000'000;
  m.feed(shifted.data(), shifted.size());
  const std::string text = metrics.render();
  EXPECT_EQ(sample_value(text, "drift_active"), 1.0) << text;
  EXPECT_EQ(sample_value(text, "drift_episodes_total"), 1.0) << text;
  EXPECT_GE(sample_value(text, "drift_share").value_or(0), 0.5) << text;
  EXPECT_EQ(sample_value(text, "drift_detector_last_step_timestamp_seconds"), 1'800'000'079.0)
      << text;
  const std::string json = m.status().to_json();
  EXPECT_NE(json.find("\"active\":true,\"episodes\":1,\"recent_episodes\":[{\"start_step\":"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"start_time\":18000000"), std::string::npos) << json;
  EXPECT_NE(json.find("\"end_step\":null"), std::string::npos) << json;
}

TEST(DriftStage, WarmupReferenceIsSavedAndReusedInsteadOfRelearned) {
  TempDir dir;
  DriftStageOptions o = fast_options("warmup:100");
  o.reference_save = dir.file("warmup-ref.npy");
  {
    ExporterMetrics metrics;
    DriftStage m(o, metrics.drift());
    m.on_producer(testing::producer_info(kDim));
    auto normal = records_for(gaussian_rows(100, kDim, 0.0f, 5), kDim);
    m.feed(normal.data(), normal.size());
    ASSERT_TRUE(wait_ready(m)) << m.status().to_json();
    EXPECT_NE(m.status().to_json().find("\"reused_saved\":false,\"save_error\":null"),
              std::string::npos)
        << m.status().to_json();
  }
  const common::NpyArray saved = common::read_npy(o.reference_save);
  ASSERT_EQ(saved.shape, (std::vector<std::size_t>{100, kDim}));
  EXPECT_EQ(saved.to_float32(), gaussian_rows(100, kDim, 0.0f, 5));

  // Restarted during a drift: the drifted records are tested, not learned.
  ExporterMetrics metrics;
  DriftStage m(o, metrics.drift());
  EXPECT_NE(m.status().state(), DriftStage::State::kWarmup);
  m.on_producer(testing::producer_info(kDim));
  ASSERT_TRUE(wait_ready(m)) << m.status().to_json();
  EXPECT_NE(m.status().to_json().find("\"reused_saved\":true"), std::string::npos)
      << m.status().to_json();
  auto drifted = records_for(gaussian_rows(60, kDim, 1.5f, 6), kDim);
  m.feed(drifted.data(), drifted.size());
  EXPECT_EQ(m.status().steps(), 60u);
  EXPECT_GE(m.status().drift_events(), 40u) << m.status().to_json();
}

TEST(DriftStage, RejectsASavedReferenceOfAnotherSize) {
  TempDir dir;
  DriftStageOptions o = fast_options("warmup:120");
  o.reference_save = write_reference(dir, 100, kDim);
  const std::string e = error_of(o);
  EXPECT_NE(e.find("holds 100 embeddings"), std::string::npos) << e;
  EXPECT_NE(e.find("delete it"), std::string::npos) << e;
}

// The log lines a monitor writes while it is built (the default logger,
// swapped for a ring buffer for the call).
std::string start_log(const DriftStageOptions& options) {
  auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(64);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", sink));
  {
    ExporterMetrics metrics;
    DriftStage m(options, metrics.drift());
  }
  spdlog::set_default_logger(previous);
  std::string text;
  for (const std::string& line : sink->last_formatted()) text += line;
  return text;
}

TEST(DriftStage, WarnsAtStartWhenBootstrapsAreBelowTenTimesTheErt) {
  DriftStageOptions o = fast_options("warmup:100");  // ert 50
  o.params.n_bootstraps = 499;
  const std::string few = start_log(o);
  EXPECT_NE(few.find("--n-bootstraps 499 is below 10 x --ert"), std::string::npos) << few;
  EXPECT_NE(few.find("use at least 500"), std::string::npos) << few;
  o.params.n_bootstraps = 500;
  EXPECT_EQ(start_log(o).find("below 10 x --ert"), std::string::npos);
  o.reference.clear();  // detection off: nothing to warn about
  o.params.n_bootstraps = 10;
  EXPECT_EQ(start_log(o).find("below 10 x --ert"), std::string::npos);
}

}  // namespace
}  // namespace driftwatch::exporter

namespace driftwatch::exporter {
namespace {

// One NaN used to blind the detector for ~4,000 steps. Non-finite and huge
// embeddings never reach it: counted, skipped, and the next good record is a
// normal step with a finite statistic, the same as if the bad ones never came.
TEST(DriftStage, NonFiniteOrHugeEmbeddingsAreRejectedCountedAndDetectionGoesOn) {
  TempDir dir;
  const std::string ref = write_reference(dir, 200, kDim);
  const std::vector<float> good = gaussian_rows(300, kDim, 0.0f, 21);
  std::mt19937 rng(5);
  std::vector<ring::Record> clean = records_for(good, kDim);
  std::vector<ring::Record> dirty;
  std::size_t nan = 0, huge = 0;
  for (const ring::Record& r : clean) {
    // Random bad values between the good records: NaN, +-Inf, 1e20 (finite,
    // but its square overflows a float).
    const int kind = static_cast<int>(rng() % 6);
    if (kind < 3) {
      ring::Record bad = r;
      const float values[] = {std::nanf(""), HUGE_VALF, -HUGE_VALF};
      bad.embedding[rng() % kDim] = values[kind];
      dirty.push_back(bad);
      ++nan;
    } else if (kind == 3) {
      ring::Record bad = r;
      bad.embedding[rng() % kDim] = 1e20f;
      dirty.push_back(bad);
      ++huge;
    }
    dirty.push_back(r);
  }
  ASSERT_GT(nan, 20u);
  ASSERT_GT(huge, 5u);

  ExporterMetrics clean_metrics, dirty_metrics;
  DriftStage a(fast_options(ref), clean_metrics.drift()),
      b(fast_options(ref), dirty_metrics.drift());
  for (DriftStage* m : {&a, &b}) {
    m->on_producer(testing::producer_info(kDim));
    ASSERT_TRUE(wait_ready(*m));
  }
  a.feed(clean.data(), clean.size());
  b.feed(dirty.data(), dirty.size());
  EXPECT_EQ(b.status().steps(), clean.size());
  // Identical thresholds, share, steps and statistics (only the calibration
  // time before "from_cache" may differ).
  const auto after_timing = [](const std::string& json) {
    return json.substr(json.find("\"from_cache\""));
  };
  EXPECT_EQ(after_timing(b.status().to_json()), after_timing(a.status().to_json()));
  EXPECT_EQ(b.status().to_json().find("null,\"threshold\""), std::string::npos);
  const std::string text = dirty_metrics.render();
  EXPECT_EQ(sample_value(text, R"(drift_embeddings_rejected_total{reason="non_finite"})"),
            static_cast<double>(nan))
      << text;
  EXPECT_EQ(sample_value(text, R"(drift_embeddings_rejected_total{reason="too_large"})"),
            static_cast<double>(huge));
  EXPECT_TRUE(std::isfinite(sample_value(text, "drift_test_stat_last").value_or(NAN)));
}

TEST(DriftStage, RejectsAReferenceWithANonFiniteValueNamingTheRow) {
  TempDir dir;
  std::vector<float> rows = gaussian_rows(200, kDim, 0, 1);
  rows[17 * kDim + 3] = std::nanf("");
  const std::string path = dir.file("nan.npy");
  common::write_npy(path, common::NpyArray::from_float32({200, kDim}, rows));
  const std::string error = error_of(fast_options(path));
  EXPECT_NE(error.find("row 17"), std::string::npos) << error;
  EXPECT_NE(error.find("NaN"), std::string::npos) << error;
}

}  // namespace
}  // namespace driftwatch::exporter
