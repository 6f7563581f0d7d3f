#include "tests/server/support/test_models.h"

#include <torch/script.h>

#include <cmath>
#include <fstream>
#include <stdexcept>

namespace dwtest {
namespace {

at::Tensor init(std::vector<int64_t> shape, double fan_in) {
  return torch::randn(shape) * (1.0 / std::sqrt(fan_in));
}

}  // namespace

std::string fashion_config_json(const std::string& name, const std::string& version) {
  return "{\"name\": \"" + name + "\", \"version\": \"" + version +
         "\", \"input\": {\"channels\": 1, \"height\": 28, \"width\": 28}, \"resize\": 28, "
         "\"center_crop\": 28, \"mean\": [0.2860], \"std\": [0.3530], \"class_names\": "
         "[\"T-shirt/top\", \"Trouser\", \"Pullover\", \"Dress\", \"Coat\", \"Sandal\", \"Shirt\", "
         "\"Sneaker\", \"Bag\", \"Ankle boot\"]}\n";
}

void write_test_model(const std::string& pt_path, const std::string& json_path, ModelKind kind,
                      ModelSize size, int seed) {
  torch::manual_seed(seed);
  torch::jit::Module m("TestNet");
  const bool demo = size == ModelSize::kDemo;
  const int64_t c1 = demo ? 16 : 4;
  const int64_t hidden = demo ? 64 : 16;
  m.register_parameter("conv1_w", init({c1, 1, 3, 3}, 9), false);
  m.register_parameter("conv1_b", torch::zeros({c1}), false);
  int64_t flat = c1 * 14 * 14;
  if (demo) {
    m.register_parameter("conv2_w", init({32, c1, 3, 3}, 9.0 * c1), false);
    m.register_parameter("conv2_b", torch::zeros({32}), false);
    flat = 32 * 7 * 7;
  }
  // Larger weights at the head spread the softmax out of the uniform regime.
  m.register_parameter("fc1_w", init({hidden, flat}, flat) * 2.0, false);
  m.register_parameter("fc1_b", torch::randn({hidden}) * 0.1, false);
  m.register_parameter("fc2_w", init({10, hidden}, hidden) * 4.0, false);
  m.register_parameter("fc2_b", torch::randn({10}) * 0.1, false);

  std::string features = R"JIT(
def features(self, x):
    x = torch.max_pool2d(torch.relu(torch.conv2d(x, self.conv1_w, self.conv1_b, [1, 1], [1, 1])), [2, 2])
)JIT";
  if (demo)
    features +=
        "    x = torch.max_pool2d(torch.relu(torch.conv2d(x, self.conv2_w, self.conv2_b, [1, 1], "
        "[1, 1])), [2, 2])\n";
  features += "    return torch.linear(torch.flatten(x, 1), self.fc1_w, self.fc1_b)\n";
  m.define(features);
  // The classifier on top of the embedding; relu first, as a real head might.
  const char* head = R"JIT(
def head(self, e):
    return torch.linear(torch.relu(e), self.fc2_w, self.fc2_b)
)JIT";
  // Fails on every call (assert: define() has no Python builtins such as
  // Exception); the condition on x keeps the graph from being folded away.
  const char* trap = R"JIT(
def {name}(self, x):
    assert x.numel() < 0, "{name} called: the server took a two-pass path"
    return x
)JIT";
  auto define_trap = [&](const std::string& name) {
    std::string src = trap;
    for (std::size_t at; (at = src.find("{name}")) != std::string::npos;) src.replace(at, 6, name);
    m.define(src);
  };
  switch (kind) {
    case ModelKind::kEmbedHead:
      m.define(head);
      m.define(R"JIT(
def embed(self, x):
    return self.features(x)

def forward(self, x):
    return self.head(self.embed(x))
)JIT");
      break;
    case ModelKind::kEmbedHeadTrap:
      m.define(head);
      m.define(R"JIT(
def embed(self, x):
    return self.features(x)
)JIT");
      define_trap("forward");
      break;
    case ModelKind::kEmbedForward:
      m.define(R"JIT(
def embed(self, x):
    return self.features(x)

def forward(self, x):
    return torch.linear(torch.relu(self.embed(x)), self.fc2_w, self.fc2_b)
)JIT");
      break;
    case ModelKind::kTuple:
    case ModelKind::kTupleTrap:
      m.define(R"JIT(
def forward(self, x):
    e = self.features(x)
    return (torch.linear(torch.relu(e), self.fc2_w, self.fc2_b), e)
)JIT");
      if (kind == ModelKind::kTupleTrap) define_trap("embed");
      break;
    case ModelKind::kLogitsOnly:
      m.define(R"JIT(
def forward(self, x):
    return torch.linear(torch.relu(self.features(x)), self.fc2_w, self.fc2_b)
)JIT");
      break;
    case ModelKind::kNanOnWhite:
      // Normalized white is (1 - 0.286) / 0.353 = 2.02 everywhere.
      m.define(R"JIT(
def forward(self, x):
    logits = torch.linear(torch.relu(self.features(x)), self.fc2_w, self.fc2_b)
    if bool(x.min() > 1.9):
        logits = logits * float("nan")
    return logits
)JIT");
      break;
  }
  m.save(pt_path);
  std::ofstream(json_path) << fashion_config_json();
}

DirectOutput run_direct(const std::string& pt_path, const std::vector<float>& chw, int c, int h,
                        int w) {
  torch::jit::Module m = torch::jit::load(pt_path);
  m.eval();
  torch::NoGradGuard no_grad;
  at::Tensor x =
      torch::from_blob(const_cast<float*>(chw.data()), {1, c, h, w}, torch::kFloat32).clone();
  at::Tensor logits, embedding;
  if (m.find_method("head")) {
    embedding = m.get_method("embed")({x}).toTensor();
    logits = m.get_method("head")({embedding}).toTensor();
  } else {
    torch::jit::IValue out = m.forward({x});
    if (out.isTuple()) {
      logits = out.toTupleRef().elements()[0].toTensor();
      embedding = out.toTupleRef().elements()[1].toTensor();
    } else {
      logits = out.toTensor();
      if (m.find_method("embed")) embedding = m.get_method("embed")({x}).toTensor();
    }
  }
  at::Tensor probs = torch::softmax(logits, 1).contiguous();
  if (!embedding.defined()) embedding = probs;
  embedding = embedding.reshape({1, -1}).contiguous();
  DirectOutput d;
  d.probabilities.assign(probs.data_ptr<float>(), probs.data_ptr<float>() + probs.numel());
  d.embedding.assign(embedding.data_ptr<float>(), embedding.data_ptr<float>() + embedding.numel());
  return d;
}

bool method_throws(const std::string& pt_path, const std::string& method,
                   const std::vector<float>& chw, int c, int h, int w) {
  torch::jit::Module m = torch::jit::load(pt_path);
  torch::NoGradGuard no_grad;
  at::Tensor x =
      torch::from_blob(const_cast<float*>(chw.data()), {1, c, h, w}, torch::kFloat32).clone();
  try {
    m.get_method(method)({x});
  } catch (const std::exception&) {
    return true;
  }
  return false;
}

}  // namespace dwtest
