// Trains the demo CNN on Fashion-MNIST and saves it as TorchScript.
// This header is LibTorch-free on purpose; trainer.cpp is the only
// translation unit of the tool that includes LibTorch.
//
// The module ("FashionCnn", parameters registered on a torch::jit::Module and
// methods compiled with define()):
//   embed(x)   x: float [B,1,28,28] normalised with the config's mean/std
//              conv3x3(1->16) relu maxpool2 conv3x3(16->32) relu maxpool2
//              flatten(1568) linear(64) relu                       -> [B,64]
//   forward(x) linear(64->10) over embed(x)                        -> logits [B,10]
//
// Thread contract: one call at a time per process (sets LibTorch's global
// thread count and seed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "tools/train_model/fashion_mnist.h"
#include "tools/train_model/model_config.h"

namespace driftwatch::train_model {

inline constexpr int kEmbeddingDim = 64;
inline constexpr const char* kModelFile = "fashion_cnn.pt";
inline constexpr const char* kConfigFile = "fashion_cnn.json";
inline constexpr const char* kModelVersion = "1";

struct TrainOptions {
  int epochs = 3;
  int batch_size = 128;
  double learning_rate = 2e-3;  // peak; cosine decay to 0 over all steps
  std::uint64_t seed = 0;
  int threads = 2;
  std::string out_dir;
};

struct TrainResult {
  std::size_t test_correct = 0;
  std::size_t test_total = 0;
  double test_accuracy = 0;
  double train_seconds = 0;  // the epochs only, without loading and evaluation
  std::string model_path;
  std::string config_path;
};

// Trains, evaluates on `test`, then writes <out_dir>/fashion_cnn.json and
// <out_dir>/fashion_cnn.pt (the .pt last and by rename, so a present .pt
// means a complete model). Progress goes to stderr. Throws on failure.
TrainResult train_demo_model(const TrainOptions& opt, const Dataset& train, const Dataset& test,
                             const Normalization& norm);

// Loads a saved module with torch::jit::load and writes forward() and embed()
// of the first `count` images of `test` to out_path, as text:
//   "count <N> classes <C> embed <D>" then per image a line
//   "logits <C floats>" and a line "embed <D floats>" (%.9g).
// Used to check that Python's torch.jit.load computes the same values.
void dump_model_outputs(const std::string& model_path, const Dataset& test,
                        const Normalization& norm, std::size_t count, const std::string& out_path,
                        int threads);

}  // namespace driftwatch::train_model
