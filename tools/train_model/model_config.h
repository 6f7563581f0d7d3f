// The model config JSON that goes next to the TorchScript file (format owned
// by docs/model-config.md): name, version, input shape, preprocessing and the
// class names, plus the input normalisation measured on the training set.
//
// Thread contract: free functions; safe to call concurrently.
#pragma once

#include <array>
#include <string>

#include "tools/train_model/fashion_mnist.h"

namespace driftwatch::train_model {

inline constexpr const char* kModelName = "fashion-cnn";
inline constexpr std::array<const char*, 10> kClassNames = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

// Mean and standard deviation of all pixels scaled to [0, 1].
struct Normalization {
  float mean = 0;
  float std = 1;
};

Normalization compute_normalization(const IdxImages& images);

// The JSON text (one object, pretty-printed, trailing newline). mean/std are
// printed with 9 significant digits so a reader parsing them as float32
// gets back exactly the values the C++ side normalised with.
std::string model_config_json(const std::string& version, const Normalization& norm);

}  // namespace driftwatch::train_model
