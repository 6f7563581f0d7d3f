#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "tools/loadgen/feedback_totals.h"
#include "tools/loadgen/run_stats.h"

namespace driftwatch::loadgen {

// The outcome of a run, as printed at the end. The JSON form is a stable
// interface for scripts (schema "driftwatch-loadgen/1", documented in
// docs/loadgen.md): fields are only ever added, never renamed or removed.
struct Summary {
  std::string url;
  std::string mode;            // "stages" or "rate"
  std::vector<int> stages;     // stages mode only
  double stage_seconds = 0.0;  // stages mode only
  double target_rps = 0.0;     // rate mode only
  int connections = 0;         // connections in the pool (rate) or max workers (stages)
  double error_share = 0.0;
  double duration_s = 0.0;  // from the first send until the last request completed
  RunStats::Totals totals;
  // With --feedback-share: the share and what was sent to /feedback.
  double feedback_share = 0.0;
  std::optional<FeedbackTotals> feedback;

  double achieved_rps() const;
};

void print_text(std::ostream& out, const Summary& summary);
// One JSON object on one line.
void print_json(std::ostream& out, const Summary& summary);

}  // namespace driftwatch::loadgen
