// Labels between replicas (FeedbackRelay, --publish) in process, through two
// real pipelines (ring -> RecordFanout -> FeedbackStage) and a real
// nats-server (tests/support/nats_server.h): replica A predicts, the labels
// for A's predictions reach replica B (as POST /feedback behind a load
// balancer would), and A joins them; B's own labels stay with B; a label
// that no replica predicted is sent and joined nowhere; the relay's series.
#include "exporter/feedback_relay.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/exporter/exporter_test_support.h"
#include "tests/exporter/feedback_harness.h"
#include "tests/support/nats_server.h"

namespace driftwatch::exporter {
namespace {

using ring::FeedbackSource;
using testing::feedback_label;
using testing::FeedbackHarness;
using testing::has_line;
using testing::sample_value;
using testing::stage_options;
using testing::TempDir;

using testing::kSecond;
using testing::kT0;

// One replica: its ring, its writer (the server) and its exporter's pipeline.
struct Replica {
  Replica(const std::string& path, const std::string& nats_url, const std::string& name)
      : writer(testing::writer_options(path, 0)),
        relay(FeedbackRelayOptions{nats_url, name}),
        pipeline(path, stage_options(), &relay) {
    pipeline.metrics.add_collectable(relay.registry());
  }
  void predict(std::uint64_t id, std::int32_t predicted) {
    ring::RecordFields f = testing::predict_ok(predicted, 0.8f);
    f.request_id = id;
    f.timestamp_ns = kT0 + static_cast<std::int64_t>(id) * kSecond;
    writer.write(f, nullptr, 0);
  }
  // A label POST /feedback brought to this replica, naming `generation`'s id.
  void label(std::uint64_t generation, std::uint64_t id, std::int32_t truth) {
    writer.write(feedback_label(id, generation, truth, FeedbackSource::kRandom,
                                kT0 + (static_cast<std::int64_t>(id) + 60) * kSecond),
                 nullptr, 0);
  }
  double metric(const std::string& series) {
    return sample_value(pipeline.get("/metrics").body(), series).value_or(-1);
  }

  ring::RingWriter writer;
  FeedbackRelay relay;
  FeedbackHarness pipeline;
};

// Runs both fan-outs until `done` or 20 s.
template <typename F>
bool run_both(Replica& a, Replica& b, F done) {
  return testing::eventually([&] {
    a.pipeline.fanout.run_once();
    b.pipeline.fanout.run_once();
    return done();
  });
}

TEST(FeedbackRelay, LabelsThatReachAnotherReplicaAreJoinedByTheOneThatPredicted) {
  dwtest::NatsServer nats;
  TempDir dir;
  Replica a(dir.file("ring-a"), nats.url(), "a");
  Replica b(dir.file("ring-b"), nats.url(), "b");
  // Attached, and both subscribed: core NATS keeps nothing for a late subscriber.
  ASSERT_TRUE(run_both(a, b, [&] {
    return a.metric("feedback_relay_connected") == 1 && b.metric("feedback_relay_connected") == 1;
  }));
  // A predicts 1..10 (Pullover), B predicts 1..4 (Sandal): the same ids, other generations.
  for (std::uint64_t id = 1; id <= 10; ++id) a.predict(id, 2);
  for (std::uint64_t id = 1; id <= 4; ++id) b.predict(id, 5);
  ASSERT_TRUE(run_both(a, b, [&] {
    return a.pipeline.feedback.status().to_json().find("\"predictions_added\":10") !=
               std::string::npos &&
           b.pipeline.feedback.status().to_json().find("\"predictions_added\":4") !=
               std::string::npos;
  })) << a.pipeline.feedback.status().to_json();
  // A's ten labels all land on B (7 right, 3 wrong); B's own two stay on B;
  // one label names a generation that no replica has.
  for (std::uint64_t id = 1; id <= 10; ++id) b.label(a.writer.generation(), id, id <= 7 ? 2 : 3);
  b.label(b.writer.generation(), 1, 5);
  b.label(b.writer.generation(), 2, 6);
  b.label(4242, 1, 0);
  ASSERT_TRUE(run_both(a, b, [&] {
    return a.metric(R"(feedback_labels_relayed_total{direction="received"})") == 10;
  })) << a.pipeline.get("/metrics").body();

  const std::string ta = a.pipeline.get("/metrics").body();
  EXPECT_TRUE(has_line(
      ta,
      R"(prediction_feedback_total{predicted_class="Pullover",source="random",true_class="Pullover"} 7)"))
      << ta;
  EXPECT_TRUE(has_line(
      ta,
      R"(prediction_feedback_total{predicted_class="Pullover",source="random",true_class="Dress"} 3)"));
  EXPECT_TRUE(has_line(ta, R"(model_accuracy{source="random"} 0.7)"));
  EXPECT_TRUE(has_line(ta, R"(feedback_labels_relayed_total{direction="sent"} 0)"));
  EXPECT_TRUE(has_line(ta, R"(feedback_unmatched_total{reason="unknown"} 0)"));

  const std::string tb = b.pipeline.get("/metrics").body();
  EXPECT_TRUE(has_line(tb, R"(feedback_labels_relayed_total{direction="sent"} 11)")) << tb;
  EXPECT_TRUE(has_line(tb, R"(feedback_labels_relayed_total{direction="received"} 0)"));
  EXPECT_TRUE(has_line(
      tb,
      R"(prediction_feedback_total{predicted_class="Sandal",source="random",true_class="Sandal"} 1)"));
  EXPECT_TRUE(has_line(
      tb,
      R"(prediction_feedback_total{predicted_class="Sandal",source="random",true_class="Shirt"} 1)"));
  EXPECT_TRUE(has_line(tb, R"(feedback_unmatched_total{reason="unknown"} 0)"));
  EXPECT_TRUE(has_line(tb, R"(feedback_relay_rejected_total 0)"));
  EXPECT_TRUE(has_line(tb, R"(feedback_relay_dropped_total 0)"));
}

TEST(FeedbackRelay, AnExporterWithoutNatsCountsForeignLabelsAsSentAndKeepsJoiningItsOwn) {
  dwtest::NatsServer nats;
  const std::string url = nats.url();
  nats.stop();
  TempDir dir;
  Replica b(dir.file("ring-b"), url, "b");
  b.pipeline.fanout.run_once();
  b.predict(1, 5);
  b.label(b.writer.generation(), 1, 5);
  b.label(777, 1, 5);  // another replica's: buffered by cnats until NATS is back
  b.pipeline.drain();
  const std::string t = b.pipeline.get("/metrics").body();
  EXPECT_TRUE(has_line(t, R"(feedback_relay_connected 0)")) << t;
  EXPECT_TRUE(has_line(t, R"(feedback_labels_relayed_total{direction="sent"} 1)"));
  EXPECT_TRUE(has_line(
      t,
      R"(prediction_feedback_total{predicted_class="Sandal",source="random",true_class="Sandal"} 1)"));
  EXPECT_TRUE(has_line(t, R"(feedback_unmatched_total{reason="unknown"} 0)"));
}

}  // namespace
}  // namespace driftwatch::exporter
