// One decision of an online drift detector (drift_detector.h).
#pragma once

#include <cstdint>

namespace driftwatch::drift {

struct MmdStep {
  std::uint64_t t = 0;     // detector time after this step: 1 on the first call
  double test_stat = 0.0;  // the detector's statistic (mmd²: between sub-reference and window)
  double threshold = 0.0;  // threshold_at(t)
  bool is_drift = false;   // test_stat > threshold (strict), as alibi decides
};

}  // namespace driftwatch::drift
