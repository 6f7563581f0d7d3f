// The Fashion-MNIST splits as train-demo-model reads them: IDX images with
// their labels (common/idx_file.h reads the files).
#pragma once

#include <string>

#include "shared/common/idx_file.h"

namespace driftwatch::train_model {

using common::IdxImages;
using common::IdxLabels;

// One split of the data set: images with their labels (checked to have the
// same count and labels < 10).
struct Dataset {
  IdxImages images;
  IdxLabels labels;
};

// Reads <dir>/<prefix>-images-idx3-ubyte.gz and <dir>/<prefix>-labels-idx1-ubyte.gz,
// prefix "train" or "t10k". Throws std::runtime_error naming the file and the problem.
Dataset read_fashion_mnist(const std::string& dir, const std::string& prefix);

}  // namespace driftwatch::train_model
