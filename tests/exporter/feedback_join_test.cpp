// FeedbackJoin, AccuracyWindow and the Wilson interval: exact join counts for
// a scripted sequence of predictions and labels.
#include "exporter/feedback_join.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "exporter/feedback_accuracy.h"
#include "tests/exporter/exporter_test_support.h"

namespace driftwatch::exporter {
namespace {

using ring::FeedbackSource;
using testing::feedback_label;

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t kT0 = 1'700'000'000 * kSecond;
constexpr std::uint64_t kGen = 7;

// Prediction `id` is class id % 3 with confidence 0.5, made at kT0 + id s.
ring::RecordFields prediction(std::uint64_t id) {
  ring::RecordFields f = testing::predict_ok(static_cast<std::int32_t>(id % 3), 0.5f);
  f.request_id = id;
  f.timestamp_ns = kT0 + static_cast<std::int64_t>(id) * kSecond;
  return f;
}

// Joins and tallies outcomes, as the stage counts them.
struct Script {
  explicit Script(FeedbackJoin::Options options) : join(options) { join.set_generation(kGen); }

  void predict(std::uint64_t from, std::uint64_t to) {
    for (std::uint64_t id = from; id <= to; ++id) join.add_prediction(prediction(id));
  }
  // A label `delay_s` after prediction `id` (of `generation`).
  JoinOutcome label(std::uint64_t id, FeedbackSource source, std::int64_t delay_s = 60,
                    std::uint64_t generation = kGen) {
    const std::int64_t at = kT0 + (static_cast<std::int64_t>(id) + delay_s) * kSecond;
    const FeedbackJoin::Result r =
        join.join(feedback_label(id, generation, static_cast<std::int32_t>(id % 3), source, at));
    ++counts[r.outcome];
    return r.outcome;
  }

  FeedbackJoin join;
  std::map<JoinOutcome, int> counts;
};

FeedbackJoin::Options small_table() {
  FeedbackJoin::Options o;
  o.capacity = 1024;
  o.max_age = std::chrono::seconds(3600);
  return o;
}

TEST(FeedbackJoin, CountsEveryOutcomeOfAScriptedSequenceExactly) {
  Script s(small_table());
  s.predict(1, 10);
  EXPECT_EQ(s.label(3, FeedbackSource::kRandom), JoinOutcome::kJoined);
  EXPECT_EQ(s.label(3, FeedbackSource::kRandom), JoinOutcome::kDuplicate);
  // Another source labels the same prediction: joined, then its own duplicate.
  EXPECT_EQ(s.label(3, FeedbackSource::kFlagged), JoinOutcome::kJoined);
  EXPECT_EQ(s.label(3, FeedbackSource::kFlagged), JoinOutcome::kDuplicate);
  // Never seen: an id past the newest, a generation never read.
  EXPECT_EQ(s.label(11, FeedbackSource::kRandom), JoinOutcome::kUnknown);
  EXPECT_EQ(s.label(3, FeedbackSource::kCorrected, 60, 8), JoinOutcome::kUnknown);
  // By age: an hour and a second late; the late label does not mark it.
  EXPECT_EQ(s.label(5, FeedbackSource::kRandom, 3601), JoinOutcome::kExpired);
  EXPECT_EQ(s.label(5, FeedbackSource::kRandom, 3600), JoinOutcome::kJoined);
  // By size: 11..1100 take the slots of 1..76.
  s.predict(11, 1100);
  EXPECT_EQ(s.label(50, FeedbackSource::kRandom), JoinOutcome::kExpired);
  EXPECT_EQ(s.label(76, FeedbackSource::kRandom), JoinOutcome::kExpired);
  EXPECT_EQ(s.label(77, FeedbackSource::kRandom), JoinOutcome::kJoined);
  EXPECT_EQ(s.label(1100, FeedbackSource::kOther), JoinOutcome::kJoined);
  // A gap (records lapped, or requests that were not predictions).
  s.predict(1111, 1111);
  EXPECT_EQ(s.label(1105, FeedbackSource::kRandom), JoinOutcome::kUnknown);
  EXPECT_EQ(s.label(1111, FeedbackSource::kRandom), JoinOutcome::kJoined);

  EXPECT_EQ(s.counts[JoinOutcome::kJoined], 6);
  EXPECT_EQ(s.counts[JoinOutcome::kDuplicate], 2);
  EXPECT_EQ(s.counts[JoinOutcome::kUnknown], 3);
  EXPECT_EQ(s.counts[JoinOutcome::kExpired], 3);
  EXPECT_EQ(s.join.predictions_added(), 1101u);
}

TEST(FeedbackJoin, AJoinedLabelCarriesThePredictionAndItsDelay) {
  FeedbackJoin join(small_table());
  join.set_generation(kGen);
  ring::RecordFields p = prediction(42);
  p.confidence = 0.875f;
  p.timestamp_ns += 250'000'000;  // kept to the millisecond
  join.add_prediction(p);
  const FeedbackJoin::Result r = join.join(
      feedback_label(42, kGen, 2, FeedbackSource::kRandom, p.timestamp_ns + 90 * kSecond));
  ASSERT_EQ(r.outcome, JoinOutcome::kJoined);
  EXPECT_EQ(r.predicted_class, 0);
  EXPECT_EQ(r.confidence, 0.875f);
  EXPECT_NEAR(r.delay_seconds, 90.0, 1e-3);
}

TEST(FeedbackJoin, FailedRequestsAreNotPredictions) {
  FeedbackJoin join(small_table());
  join.set_generation(kGen);
  join.add_prediction(prediction(1));
  ring::RecordFields failed = testing::request_failed(422);
  failed.request_id = 2;
  join.add_prediction(failed);
  join.add_prediction(prediction(3));
  EXPECT_EQ(join.join(feedback_label(2, kGen, 0, FeedbackSource::kRandom, kT0)).outcome,
            JoinOutcome::kUnknown);
  EXPECT_EQ(join.predictions_added(), 2u);
}

TEST(FeedbackJoin, ANewGenerationKeepsTheOldOnesPredictionsUntilItTakesTheirSlots) {
  Script s(small_table());
  s.predict(1, 100);
  s.join.set_generation(kGen + 1);  // the server restarted: ids start at 1 again
  for (std::uint64_t id = 1; id <= 5; ++id) s.join.add_prediction(prediction(id));
  EXPECT_EQ(s.label(3, FeedbackSource::kRandom, 60, kGen + 1), JoinOutcome::kJoined);
  EXPECT_EQ(s.label(50, FeedbackSource::kRandom, 60, kGen), JoinOutcome::kJoined);
  EXPECT_EQ(s.label(3, FeedbackSource::kRandom, 60, kGen), JoinOutcome::kExpired);
  EXPECT_EQ(s.label(6, FeedbackSource::kRandom, 60, kGen + 1), JoinOutcome::kUnknown);
}

TEST(FeedbackJoin, ARestartedExporterCountsLabelsOfItsPredecessorsPredictionsAsUnknown) {
  {
    Script before(small_table());
    before.predict(1, 50);
    EXPECT_EQ(before.label(10, FeedbackSource::kRandom), JoinOutcome::kJoined);
  }
  Script after(small_table());  // a new process: an empty table
  EXPECT_EQ(after.label(20, FeedbackSource::kRandom), JoinOutcome::kUnknown);
  after.predict(51, 60);  // it resumes at the ring's head
  EXPECT_EQ(after.label(30, FeedbackSource::kRandom), JoinOutcome::kUnknown);
  EXPECT_EQ(after.label(55, FeedbackSource::kRandom), JoinOutcome::kJoined);
  EXPECT_EQ(after.counts[JoinOutcome::kUnknown], 2);
}

TEST(FeedbackJoin, OutOfOrderRecordsWithinALapAllJoin) {
  Script s(small_table());
  for (std::uint64_t id : {5, 3, 4, 1, 2}) s.join.add_prediction(prediction(id));
  for (std::uint64_t id = 1; id <= 5; ++id) {
    EXPECT_EQ(s.label(id, FeedbackSource::kRandom), JoinOutcome::kJoined) << id;
  }
}

TEST(FeedbackJoin, AllocatesTheTableOnlyAtTheFirstPrediction) {
  FeedbackJoin join(FeedbackJoin::Options{});
  EXPECT_EQ(join.allocated_bytes(), 0u);
  EXPECT_EQ(join.capacity(), 4'500'000u);
  join.set_generation(kGen);
  EXPECT_EQ(join.join(feedback_label(1, kGen, 0, FeedbackSource::kRandom, kT0)).outcome,
            JoinOutcome::kUnknown);
  EXPECT_EQ(join.allocated_bytes(), 0u);
  join.add_prediction(prediction(1));
  EXPECT_EQ(join.allocated_bytes(), 4'500'000u * 16);
}

TEST(FeedbackJoin, PredictionsMonthsApartInOneGenerationKeepTheirTimes) {
  // 60 days > the 49.7 days of one epoch's 32-bit milliseconds.
  FeedbackJoin::Options o = small_table();
  o.max_age = std::chrono::seconds(100 * 24 * 3600);
  FeedbackJoin join(o);
  join.set_generation(kGen);
  ring::RecordFields early = prediction(1);
  ring::RecordFields late = prediction(2);
  late.timestamp_ns = early.timestamp_ns + 60LL * 24 * 3600 * kSecond;
  join.add_prediction(early);
  join.add_prediction(late);
  const std::int64_t at = late.timestamp_ns + 10 * kSecond;
  EXPECT_NEAR(join.join(feedback_label(2, kGen, 2, FeedbackSource::kRandom, at)).delay_seconds,
              10.0, 1e-3);
  EXPECT_NEAR(join.join(feedback_label(1, kGen, 1, FeedbackSource::kRandom, at)).delay_seconds,
              60.0 * 24 * 3600 + 10.0, 1e-3);
}

TEST(FeedbackJoin, AfterTheLastEpochNumberTheTableStartsAgainEmpty) {
  // A crash loop: 65,536 producer generations, one prediction each.
  FeedbackJoin join(small_table());
  for (std::uint64_t g = 1; g <= 65'536; ++g) {
    join.set_generation(g);
    join.add_prediction(prediction(1 + g % 1000));
  }
  // The epoch numbers ran out at generation 65,536: only it is left.
  EXPECT_EQ(
      join.join(feedback_label(1 + 65'536 % 1000, 65'536, 0, FeedbackSource::kRandom, kT0)).outcome,
      JoinOutcome::kJoined);
  EXPECT_EQ(
      join.join(feedback_label(1 + 65'535 % 1000, 65'535, 0, FeedbackSource::kRandom, kT0)).outcome,
      JoinOutcome::kUnknown);
  EXPECT_EQ(join.join(feedback_label(2, 1, 0, FeedbackSource::kRandom, kT0)).outcome,
            JoinOutcome::kUnknown);
}

// From the definition, without the library's algebra: the interval is the set
// of p whose score test |p_hat - p| <= z sqrt(p(1-p)/n) accepts, i.e. the
// roots of (1 + z^2/n) p^2 - (2 p_hat + z^2/n) p + p_hat^2 = 0.
WilsonInterval wilson_from_quadratic(double correct, double n, double z) {
  const double p_hat = correct / n;
  const double a = 1.0 + z * z / n;
  const double b = -(2.0 * p_hat + z * z / n);
  const double c = p_hat * p_hat;
  const double root = std::sqrt(b * b - 4.0 * a * c);
  return {(-b - root) / (2.0 * a), (-b + root) / (2.0 * a)};
}

TEST(WilsonInterval, MatchesTheRootsOfTheScoreTest) {
  for (const auto& [correct, n] : std::vector<std::pair<int, int>>{{0, 1},
                                                                   {1, 1},
                                                                   {0, 10},
                                                                   {10, 10},
                                                                   {9, 10},
                                                                   {45, 50},
                                                                   {450, 500},
                                                                   {1, 500},
                                                                   {250, 500}}) {
    const WilsonInterval got = wilson_interval(correct, n);
    const WilsonInterval want = wilson_from_quadratic(correct, n, 1.959963984540054);
    EXPECT_NEAR(got.lower, want.lower, 1e-12) << correct << "/" << n;
    EXPECT_NEAR(got.upper, want.upper, 1e-12) << correct << "/" << n;
  }
  // Worked by hand: 45 of 50 -> centre 0.87147, half width 0.08506.
  const WilsonInterval w = wilson_interval(45, 50);
  EXPECT_NEAR(w.lower, 0.7864, 5e-5);
  EXPECT_NEAR(w.upper, 0.9565, 5e-5);
  const WilsonInterval none = wilson_interval(0, 0);
  EXPECT_EQ(none.lower, 0.0);
  EXPECT_EQ(none.upper, 1.0);
}

TEST(AccuracyWindow, KeepsTheLastKOutcomes) {
  AccuracyWindow w(4);
  EXPECT_EQ(w.accuracy(), 0.0);
  for (bool c : {true, true, false, true}) w.add(c);
  EXPECT_EQ(w.labels(), 4u);
  EXPECT_EQ(w.correct(), 3u);
  w.add(false);  // the first true leaves
  w.add(false);  // the second true leaves
  EXPECT_EQ(w.labels(), 4u);
  EXPECT_EQ(w.correct(), 1u);
  EXPECT_DOUBLE_EQ(w.accuracy(), 0.25);
  const WilsonInterval i = w.interval();
  const WilsonInterval want = wilson_interval(1, 4);
  EXPECT_EQ(i.lower, want.lower);
  EXPECT_EQ(i.upper, want.upper);
}

}  // namespace
}  // namespace driftwatch::exporter
