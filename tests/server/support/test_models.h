// Small TorchScript models written by the tests themselves (C++ define(), no
// training), and a direct run of a model file with plain LibTorch, no
// freezing: the reference the server's answers are checked against.
// Only test_models.cpp includes LibTorch.
#pragma once

#include <string>
#include <vector>

namespace dwtest {

// The model forms of the SPEC. The *Trap kinds make the path the server must
// not take throw, so serving them at all proves one backbone pass a request.
enum class ModelKind {
  kEmbedHead,      // embed(x) -> [B, 16], head(e) -> logits, forward =
                   // head(embed(x))
  kEmbedHeadTrap,  // embed and head; forward(x) raises
  kTuple,          // forward(x) -> (logits, embedding), no embed
  kTupleTrap,      // forward(x) -> (logits, embedding); embed(x) raises
  kEmbedForward,   // forward(x) -> logits, embed(x) -> [B, 16], no head: two
                   // passes
  kLogitsOnly,     // forward(x) -> logits only: the embedding is the softmax
  kNanOnWhite,     // kLogitsOnly, but NaN logits for an all-white image
};

enum class ModelSize {
  kTiny,  // conv 1->4, fc 784->16->10
  kDemo,  // the demo CNN's shape: conv 1->16->32, fc 1568->64->10
};

// Writes the model to `pt_path` and a Fashion-MNIST model config to
// `json_path`.
void write_test_model(const std::string& pt_path, const std::string& json_path, ModelKind kind,
                      ModelSize size = ModelSize::kTiny, int seed = 1);

// The Fashion-MNIST config JSON (name, version, 1x28x28, mean/std, classes).
std::string fashion_config_json(const std::string& name = "test-cnn",
                                const std::string& version = "7");

struct DirectOutput {
  std::vector<float> probabilities;
  std::vector<float> embedding;
};

// torch::jit::load and a run on a [1, c, h, w] input, unoptimized, in the
// SPEC's order: head(embed(x)) when there is a head, else forward's tuple,
// else forward + embed, else the softmax.
DirectOutput run_direct(const std::string& pt_path, const std::vector<float>& chw, int c, int h,
                        int w);

// True when calling `method` of the model on a [1, c, h, w] input throws:
// proves a *Trap kind's trap is armed.
bool method_throws(const std::string& pt_path, const std::string& method,
                   const std::vector<float>& chw, int c, int h, int w);

}  // namespace dwtest
