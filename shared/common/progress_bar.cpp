#include "shared/common/progress_bar.h"

#include <unistd.h>

#include <algorithm>

namespace driftwatch::common {

ProgressBar::ProgressBar(std::FILE* out, bool tty, std::string label, std::size_t total_steps,
                         Clock::time_point start)
    : out_(out),
      tty_(tty),
      label_(std::move(label)),
      total_(std::max<std::size_t>(total_steps, 1)),
      last_print_(start) {}

bool ProgressBar::is_tty(std::FILE* f) { return isatty(fileno(f)) == 1; }

std::string ProgressBar::render(std::size_t step, const std::string& detail) const {
  constexpr std::size_t kWidth = 30;
  const std::size_t filled = std::min(kWidth, step * kWidth / total_);
  std::string line = label_.empty() ? "[" : label_ + " [";
  line += std::string(filled, '#') + std::string(kWidth - filled, '.') + "] ";
  line += std::to_string(step) + "/" + std::to_string(total_);
  if (!detail.empty()) line += " " + detail;
  return line;
}

bool ProgressBar::due(std::size_t step, Clock::time_point now) const {
  const auto interval = tty_ ? Clock::duration(kTtyInterval) : Clock::duration(kPlainInterval);
  return step >= total_ || now - last_print_ >= interval;
}

void ProgressBar::update(std::size_t step, const std::string& detail, Clock::time_point now) {
  if (!due(step, now)) return;
  const std::string line = render(step, detail);
  if (tty_) {
    std::fprintf(out_, "\r%s\x1b[K", line.c_str());
  } else {
    std::fprintf(out_, "%s\n", line.c_str());
  }
  std::fflush(out_);
  printed_ = true;
  last_print_ = now;
}

void ProgressBar::finish() {
  if (tty_ && printed_) {
    std::fputc('\n', out_);
    std::fflush(out_);
  }
}

}  // namespace driftwatch::common
