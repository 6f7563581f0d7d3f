#include "tools/train_model/progress.h"

#include <cstdio>

namespace driftwatch::train_model {

std::string epoch_progress_detail(double loss, double images_per_second) {
  char text[96];
  std::snprintf(text, sizeof text, "loss %.4f %.0f img/s", loss, images_per_second);
  return text;
}

}  // namespace driftwatch::train_model
