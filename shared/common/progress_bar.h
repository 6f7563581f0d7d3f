// A progress bar on a stream (stderr): redrawn in place on a terminal, plain
// periodic lines otherwise (CI logs, ctest), so logs stay readable.
//   epoch 1/2 [###############...............] 50/100 loss 0.5000 1000 img/s
// The caller's detail text follows the step count. train-demo-model and
// make-reference draw their progress with it.
//
// Thread contract: one thread drives an instance.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>

namespace driftwatch::common {

class ProgressBar {
 public:
  using Clock = std::chrono::steady_clock;

  // Minimum time between redraws on a terminal, and between lines otherwise.
  static constexpr std::chrono::milliseconds kTtyInterval{100};
  static constexpr std::chrono::milliseconds kPlainInterval{5000};

  // tty: redraw in place; pass is_tty(out) for the real stream. label may be
  // empty. Intervals count from `start`.
  ProgressBar(std::FILE* out, bool tty, std::string label, std::size_t total_steps,
              Clock::time_point start = Clock::now());

  static bool is_tty(std::FILE* f);

  // Whether update(step, ..., now) would print: the interval since the last
  // print has passed, or this is the last step. Lets a caller skip building
  // a detail that would not be shown.
  bool due(std::size_t step, Clock::time_point now) const;

  // step is 1-based (steps done so far). Prints only when due().
  void update(std::size_t step, const std::string& detail, Clock::time_point now = Clock::now());

  // Ends the bar's line (terminal) after the last update.
  void finish();

 private:
  std::string render(std::size_t step, const std::string& detail) const;

  std::FILE* out_;
  bool tty_;
  std::string label_;
  std::size_t total_;
  bool printed_ = false;
  Clock::time_point last_print_;
};

}  // namespace driftwatch::common
