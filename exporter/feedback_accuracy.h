// AccuracyWindow: the accuracy of the last K joined labels of one feedback
// source, and its Wilson score interval, part of the feedback stage.
//
// The Wilson interval (Wilson 1927) keeps its coverage near the nominal 95%
// for small K and for accuracies near 0 or 1, where the normal
// approximation p +- z sqrt(p(1-p)/n) leaves [0, 1] or shrinks to nothing:
//
//   centre = (p + z^2/2n) / (1 + z^2/n)
//   half   = z / (1 + z^2/n) * sqrt(p(1-p)/n + z^2/4n^2)
//
// Memory: one byte per label of the window.
//
// Thread contract: none of its own; the feedback stage's thread owns it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace driftwatch::exporter {

// z of a two-sided 95% interval: the 0.975 quantile of the standard normal.
constexpr double kWilsonZ95 = 1.959963984540054;

struct WilsonInterval {
  double lower = 0.0;
  double upper = 1.0;
};
// The interval of `correct` successes in `n` trials (n = 0: [0, 1]).
WilsonInterval wilson_interval(std::size_t correct, std::size_t n, double z = kWilsonZ95);

class AccuracyWindow {
 public:
  explicit AccuracyWindow(std::size_t size);

  void add(bool correct);
  std::size_t labels() const { return count_; }
  std::size_t correct() const { return correct_; }
  std::size_t size() const { return outcomes_.size(); }
  // correct / labels; 0 when empty.
  double accuracy() const;
  WilsonInterval interval() const { return wilson_interval(correct_, count_); }

 private:
  std::vector<std::uint8_t> outcomes_;  // a ring of the last size() outcomes
  std::size_t next_ = 0;
  std::size_t count_ = 0;
  std::size_t correct_ = 0;
};

}  // namespace driftwatch::exporter
