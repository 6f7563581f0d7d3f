#include "exporter/feedback_accuracy.h"

#include <algorithm>
#include <cmath>

namespace driftwatch::exporter {

WilsonInterval wilson_interval(std::size_t correct, std::size_t n, double z) {
  if (n == 0) return {};
  const double nd = static_cast<double>(n);
  const double p = static_cast<double>(correct) / nd;
  const double z2 = z * z;
  const double denominator = 1.0 + z2 / nd;
  const double centre = (p + z2 / (2.0 * nd)) / denominator;
  const double half = z / denominator * std::sqrt(p * (1.0 - p) / nd + z2 / (4.0 * nd * nd));
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

AccuracyWindow::AccuracyWindow(std::size_t size) : outcomes_(std::max<std::size_t>(size, 1), 0) {}

void AccuracyWindow::add(bool correct) {
  if (count_ == outcomes_.size()) {
    correct_ -= outcomes_[next_];
  } else {
    ++count_;
  }
  outcomes_[next_] = correct ? 1 : 0;
  correct_ += outcomes_[next_];
  next_ = (next_ + 1) % outcomes_.size();
}

double AccuracyWindow::accuracy() const {
  return count_ ? static_cast<double>(correct_) / static_cast<double>(count_) : 0.0;
}

}  // namespace driftwatch::exporter
