// DriftStatus: the /drift document, byte for byte, and its step history.
#include "exporter/drift_status.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "exporter/exporter_config.h"

namespace driftwatch::exporter {
namespace {

// What drift-exporter without --reference has always served at /drift.
TEST(DriftStatus, DisabledDocumentWithTheDefaultFlagsIsUnchanged) {
  const DriftStatus status(exporter_options(ExporterConfig{}).drift);
  EXPECT_EQ(status.to_json(),
            "{\"state\":\"disabled\",\"error\":null,\"reference\":{\"source\":\"none\","
            "\"path\":null,\"size\":0,\"dim\":0},\"parameters\":{\"detector\":\"mmd\","
            "\"window_size\":20,\"ert\":1000,\"n_bootstraps\":20000,\"seed\":0,\"sigma\":null,"
            "\"sigma_source\":\"median_heuristic\",\"cache\":null},\"calibration\":{"
            "\"bootstraps_done\":0,\"seconds\":0,\"from_cache\":false,\"thresholds\":[]},"
            "\"sustained\":{\"share_steps\":500,\"on\":0.5,\"off\":0.1,\"share\":0,"
            "\"active\":false,\"episodes\":0,\"recent_episodes\":[]},\"t\":0,"
            "\"drift_events\":0,\"history\":5000,\"steps\":[]}");
}

TEST(DriftStatus, MmdMultiListsItsWindows) {
  ExporterConfig c;
  c.detector = "mmd-multi";
  EXPECT_NE(
      DriftStatus(exporter_options(c).drift)
          .to_json()
          .find("\"detector\":\"mmd-multi\",\"window_size\":20,\"windows\":[10,20,50],\"ert\""),
      std::string::npos);
  c.multi_windows = {10, 20, 50, 100};
  EXPECT_NE(DriftStatus(exporter_options(c).drift).to_json().find("\"windows\":[10,20,50,100],"),
            std::string::npos);
}

TEST(DriftStatus, KeepsTheLastStepsAndServesThoseAfterSince) {
  DriftStageOptions o;
  o.reference = "warmup:50";
  o.reference_save = "/tmp/ref.npy";
  o.history = 3;
  DriftStatus status(o);
  status.set_state(DriftState::kReady);
  status.set_reference({50, 4, 50, true, ""});
  std::vector<drift::MmdStep> steps(5);
  for (std::size_t i = 0; i < steps.size(); ++i) {
    steps[i].t = i + 1;
    steps[i].test_stat = 0.5;
    steps[i].threshold = 0.25;
    steps[i].is_drift = true;
  }
  status.add_steps(steps.data(), steps.size(), 5, drift::SustainedDrift(o.sustained));
  EXPECT_EQ(status.steps(), 5u);
  EXPECT_EQ(status.drift_events(), 5u);
  const std::string json = status.to_json();
  EXPECT_NE(json.find("\"reference\":{\"source\":\"warmup\",\"path\":null,\"size\":50,\"dim\":4,"
                      "\"warmup_collected\":50,\"saved_to\":\"/tmp/ref.npy\","
                      "\"reused_saved\":true,\"save_error\":null}"),
            std::string::npos)
      << json;
  EXPECT_EQ(json.find("{\"t\":2,"), std::string::npos) << json;
  EXPECT_NE(json.find("{\"t\":3,\"test_stat\":0.5,\"threshold\":0.25,\"is_drift\":true}"),
            std::string::npos)
      << json;
  const std::string since = status.to_json(4);
  EXPECT_EQ(since.find("{\"t\":4,"), std::string::npos) << since;
  EXPECT_NE(since.find("{\"t\":5,"), std::string::npos) << since;
  EXPECT_NE(status.to_json(0, false).find("\"steps\":[]}"), std::string::npos);
}

}  // namespace
}  // namespace driftwatch::exporter
