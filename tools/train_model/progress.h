// Training progress on stderr: a bar redrawn in place on a terminal, plain
// periodic lines otherwise (CI logs, ctest), so logs stay readable.
//
// Thread contract: one thread drives an instance.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>

namespace driftwatch::train_model {

class ProgressBar {
 public:
  using Clock = std::chrono::steady_clock;

  // Minimum time between redraws on a terminal, and between lines otherwise.
  static constexpr std::chrono::milliseconds kTtyInterval{100};
  static constexpr std::chrono::milliseconds kPlainInterval{5000};

  // tty: redraw in place; pass is_tty(out) for the real stream.
  // Intervals count from `start`.
  ProgressBar(std::FILE* out, bool tty, std::string label, std::size_t total_steps,
              Clock::time_point start = Clock::now());

  static bool is_tty(std::FILE* f);

  // step is 1-based (steps done so far); loss a running mean. Prints only if
  // the interval since the last print has passed, except for the last step.
  void update(std::size_t step, double loss, double images_per_second,
              Clock::time_point now = Clock::now());

  // Ends the bar's line (terminal) after the last update.
  void finish();

 private:
  std::string render(std::size_t step, double loss, double images_per_second) const;

  std::FILE* out_;
  bool tty_;
  std::string label_;
  std::size_t total_;
  bool printed_ = false;
  Clock::time_point last_print_;
};

}  // namespace driftwatch::train_model
