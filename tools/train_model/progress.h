// What follows the step count in an epoch's progress bar (common::ProgressBar):
//   epoch 1/2 [###############...............] 50/100 loss 0.5000 1000 img/s
#pragma once

#include <string>

namespace driftwatch::train_model {

// "loss 0.5000 1000 img/s": the running mean loss and the epoch's rate.
std::string epoch_progress_detail(double loss, double images_per_second);

}  // namespace driftwatch::train_model
