#include "tools/train_model/fashion_mnist.h"

#include <stdexcept>

namespace driftwatch::train_model {

Dataset read_fashion_mnist(const std::string& dir, const std::string& prefix) {
  Dataset d;
  const std::string images_path = dir + "/" + prefix + "-images-idx3-ubyte.gz";
  const std::string labels_path = dir + "/" + prefix + "-labels-idx1-ubyte.gz";
  d.images = common::read_idx_images(images_path);
  d.labels = common::read_idx_labels(labels_path);
  if (d.images.count != d.labels.labels.size()) {
    throw std::runtime_error(images_path + " holds " + std::to_string(d.images.count) +
                             " images but " + labels_path + " holds " +
                             std::to_string(d.labels.labels.size()) + " labels");
  }
  for (std::size_t i = 0; i < d.labels.labels.size(); ++i) {
    if (d.labels.labels[i] >= 10) {
      throw std::runtime_error("IDX file " + labels_path + ": label " +
                               std::to_string(d.labels.labels[i]) + " at index " +
                               std::to_string(i) + " is not a class index 0..9");
    }
  }
  return d;
}

}  // namespace driftwatch::train_model
