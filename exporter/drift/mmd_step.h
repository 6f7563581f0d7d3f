// One decision of an online drift detector (drift_detector.h), and the rule
// every detector decides by.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace driftwatch::drift {

struct MmdStep {
  std::uint64_t t = 0;     // detector time after this step: 1 on the first call
  double test_stat = 0.0;  // the detector's statistic (mmd²: between sub-reference and window)
  double threshold = 0.0;  // threshold_at(t)
  bool is_drift = false;   // test_stat > threshold (strict), as alibi decides
};

// thresholds[t] for the first steps, the last threshold for every later one.
inline double threshold_for(const std::vector<double>& thresholds, std::uint64_t t) {
  return t < thresholds.size() ? thresholds[static_cast<std::size_t>(t)] : thresholds.back();
}

// The step at detector time t with statistic `test_stat`: drift when it is
// strictly above threshold_for(thresholds, t).
inline MmdStep decide(std::uint64_t t, double test_stat, const std::vector<double>& thresholds) {
  MmdStep s;
  s.t = t;
  s.test_stat = test_stat;
  s.threshold = threshold_for(thresholds, t);
  s.is_drift = s.test_stat > s.threshold;
  return s;
}

}  // namespace driftwatch::drift
