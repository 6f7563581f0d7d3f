#include "tools/train_model/progress.h"

#include <unistd.h>

#include <algorithm>

namespace driftwatch::train_model {

ProgressBar::ProgressBar(std::FILE* out, bool tty, std::string label, std::size_t total_steps,
                         Clock::time_point start)
    : out_(out),
      tty_(tty),
      label_(std::move(label)),
      total_(std::max<std::size_t>(total_steps, 1)),
      last_print_(start) {}

bool ProgressBar::is_tty(std::FILE* f) { return isatty(fileno(f)) == 1; }

std::string ProgressBar::render(std::size_t step, double loss, double images_per_second) const {
  constexpr std::size_t kWidth = 30;
  const std::size_t filled = std::min(kWidth, step * kWidth / total_);
  char tail[128];
  std::snprintf(tail, sizeof tail, "] %zu/%zu loss %.4f %.0f img/s", step, total_, loss,
                images_per_second);
  return label_ + " [" + std::string(filled, '#') + std::string(kWidth - filled, '.') + tail;
}

void ProgressBar::update(std::size_t step, double loss, double images_per_second,
                         Clock::time_point now) {
  const bool last = step >= total_;
  const auto interval = tty_ ? Clock::duration(kTtyInterval) : Clock::duration(kPlainInterval);
  if (!last && now - last_print_ < interval) return;
  const std::string line = render(step, loss, images_per_second);
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

}  // namespace driftwatch::train_model
