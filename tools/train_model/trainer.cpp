// The only translation unit of train-demo-model that includes LibTorch.
#include "tools/train_model/trainer.h"

#include <ATen/Parallel.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "shared/common/progress_bar.h"
#include "tools/train_model/progress.h"

namespace driftwatch::train_model {
namespace {

namespace fs = std::filesystem;
using Seconds = std::chrono::duration<double>;

constexpr double kPi = 3.14159265358979323846;
constexpr std::int64_t kEvalBatch = 1000;

// TorchScript source of the methods; parameters are module attributes.
// embed + head is a one-pass form for infer-server (logits = head(embed(x)),
// the backbone runs once per request); forward keeps returning the logits
// for training and for Python users.
constexpr const char* kModelSource = R"JIT(
def embed(self, x):
    x = torch.max_pool2d(torch.relu(torch.conv2d(x, self.conv1_w, self.conv1_b, [1, 1], [1, 1])), [2, 2])
    x = torch.max_pool2d(torch.relu(torch.conv2d(x, self.conv2_w, self.conv2_b, [1, 1], [1, 1])), [2, 2])
    return torch.relu(torch.linear(torch.flatten(x, 1), self.fc1_w, self.fc1_b))

def head(self, e):
    return torch.linear(e, self.fc2_w, self.fc2_b)

def forward(self, x):
    return self.head(self.embed(x))
)JIT";

// He-uniform weights (suits the ReLUs), zero biases.
void add_layer(torch::jit::Module& m, const std::string& name, std::vector<std::int64_t> shape) {
  std::int64_t fan_in = 1;
  for (std::size_t i = 1; i < shape.size(); ++i) fan_in *= shape[i];
  const double bound = std::sqrt(6.0 / static_cast<double>(fan_in));
  const std::int64_t out_features = shape[0];
  m.register_parameter(name + "_w",
                       torch::empty(shape).uniform_(-bound, bound).requires_grad_(true), false);
  m.register_parameter(name + "_b", torch::zeros({out_features}).requires_grad_(true), false);
}

torch::jit::Module build_model() {
  torch::jit::Module m("FashionCnn");
  add_layer(m, "conv1", {16, 1, 3, 3});
  add_layer(m, "conv2", {32, 16, 3, 3});
  add_layer(m, "fc1", {kEmbeddingDim, 32 * 7 * 7});
  add_layer(m, "fc2", {10, kEmbeddingDim});
  m.define(kModelSource);
  return m;
}

// uint8 images -> float [N,1,H,W], scaled to [0,1] and normalised.
torch::Tensor to_input(const IdxImages& images, std::size_t count, const Normalization& norm) {
  auto raw =
      torch::from_blob(const_cast<std::uint8_t*>(images.pixels.data()),
                       {static_cast<std::int64_t>(count), 1, static_cast<std::int64_t>(images.rows),
                        static_cast<std::int64_t>(images.cols)},
                       torch::kUInt8);
  return raw.to(torch::kFloat).div_(255.0f).sub_(norm.mean).div_(norm.std);
}

torch::Tensor to_labels(const IdxLabels& labels) {
  return torch::from_blob(const_cast<std::uint8_t*>(labels.labels.data()),
                          {static_cast<std::int64_t>(labels.labels.size())}, torch::kUInt8)
      .to(torch::kLong);
}

std::size_t count_correct(torch::jit::Module& m, const torch::Tensor& x, const torch::Tensor& y) {
  torch::NoGradGuard no_grad;
  std::int64_t correct = 0;
  for (std::int64_t i = 0; i < x.size(0); i += kEvalBatch) {
    const std::int64_t end = std::min(i + kEvalBatch, x.size(0));
    auto logits = m.forward({x.slice(0, i, end)}).toTensor();
    correct += logits.argmax(1).eq(y.slice(0, i, end)).sum().item<std::int64_t>();
  }
  return static_cast<std::size_t>(correct);
}

void write_text_atomically(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    out.close();
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
  }
  fs::rename(tmp, path);
}

}  // namespace

TrainResult train_demo_model(const TrainOptions& opt, const Dataset& train, const Dataset& test,
                             const Normalization& norm) {
  if (opt.epochs < 1) throw std::runtime_error("--epochs must be at least 1");
  if (opt.batch_size < 1) throw std::runtime_error("--batch-size must be at least 1");
  at::set_num_threads(opt.threads);
  torch::manual_seed(opt.seed);

  const fs::path out_dir(opt.out_dir);
  fs::create_directories(out_dir);

  const auto train_x = to_input(train.images, train.images.count, norm);
  const auto train_y = to_labels(train.labels);
  const auto test_x = to_input(test.images, test.images.count, norm);
  const auto test_y = to_labels(test.labels);

  torch::jit::Module model = build_model();
  std::vector<torch::Tensor> params;
  for (const auto& p : model.parameters()) params.push_back(p);
  torch::optim::Adam adam(params, torch::optim::AdamOptions(opt.learning_rate));

  const std::int64_t n = train_x.size(0);
  const std::int64_t steps_per_epoch = (n + opt.batch_size - 1) / opt.batch_size;
  const double total_steps = static_cast<double>(steps_per_epoch * opt.epochs);
  std::int64_t global_step = 0;
  const bool tty = common::ProgressBar::is_tty(stderr);
  TrainResult result;

  for (int epoch = 1; epoch <= opt.epochs; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    common::ProgressBar bar(stderr, tty,
                            "epoch " + std::to_string(epoch) + "/" + std::to_string(opt.epochs),
                            static_cast<std::size_t>(steps_per_epoch), start);
    const auto perm = torch::randperm(n, torch::kLong);
    double loss_sum = 0;
    std::int64_t seen = 0;
    for (std::int64_t step = 0; step < steps_per_epoch; ++step, ++global_step) {
      // Cosine decay from the peak learning rate to 0 over the whole run.
      const double lr = opt.learning_rate * 0.5 *
                        (1 + std::cos(kPi * static_cast<double>(global_step) / total_steps));
      static_cast<torch::optim::AdamOptions&>(adam.param_groups()[0].options()).lr(lr);

      const auto idx =
          perm.slice(0, step * opt.batch_size, std::min(n, (step + 1) * opt.batch_size));
      const auto x = train_x.index_select(0, idx);
      const auto y = train_y.index_select(0, idx);
      adam.zero_grad();
      auto loss = torch::nn::functional::cross_entropy(model.forward({x}).toTensor(), y);
      loss.backward();
      adam.step();

      loss_sum += loss.item<double>() * static_cast<double>(idx.size(0));
      seen += idx.size(0);
      const auto now = std::chrono::steady_clock::now();
      const double elapsed = Seconds(now - start).count();
      bar.update(static_cast<std::size_t>(step + 1),
                 epoch_progress_detail(loss_sum / static_cast<double>(seen),
                                       elapsed > 0 ? static_cast<double>(seen) / elapsed : 0.0),
                 now);
    }
    bar.finish();
    const double epoch_seconds = Seconds(std::chrono::steady_clock::now() - start).count();
    result.train_seconds += epoch_seconds;
    const std::size_t correct = count_correct(model, test_x, test_y);
    std::fprintf(stderr, "epoch %d/%d: loss %.4f, %.1f s, %.0f img/s, test accuracy %.4f\n", epoch,
                 opt.epochs, loss_sum / static_cast<double>(seen), epoch_seconds,
                 static_cast<double>(seen) / epoch_seconds,
                 static_cast<double>(correct) / static_cast<double>(test_x.size(0)));
    result.test_correct = correct;
  }
  result.test_total = static_cast<std::size_t>(test_x.size(0));
  result.test_accuracy =
      static_cast<double>(result.test_correct) / static_cast<double>(result.test_total);

  // Saved for inference: no gradient tracking in whoever loads it.
  for (auto p : model.parameters()) p.requires_grad_(false);
  model.eval();
  const fs::path model_path = out_dir / kModelFile;
  const fs::path config_path = out_dir / kConfigFile;
  const fs::path model_tmp = model_path.string() + ".tmp";
  model.save(model_tmp.string());
  write_text_atomically(config_path, model_config_json(kModelVersion, norm));
  fs::rename(model_tmp, model_path);
  result.model_path = model_path.string();
  result.config_path = config_path.string();
  return result;
}

void dump_model_outputs(const std::string& model_path, const Dataset& test,
                        const Normalization& norm, std::size_t count, const std::string& out_path,
                        int threads) {
  if (count == 0 || count > test.images.count) {
    throw std::runtime_error("--dump-count must be 1.." + std::to_string(test.images.count));
  }
  at::set_num_threads(threads);
  torch::jit::Module m = torch::jit::load(model_path);
  m.eval();
  torch::NoGradGuard no_grad;
  const auto x = to_input(test.images, count, norm);
  const auto logits = m.forward({x}).toTensor().contiguous();
  const auto embed = m.get_method("embed")({x}).toTensor().contiguous();
  if (logits.dim() != 2 || embed.dim() != 2) throw std::runtime_error("unexpected output rank");

  std::FILE* f = std::fopen(out_path.c_str(), "w");
  if (!f) throw std::runtime_error("cannot write " + out_path);
  std::fprintf(f, "count %zu classes %lld embed %lld\n", count,
               static_cast<long long>(logits.size(1)), static_cast<long long>(embed.size(1)));
  auto write_row = [f](const char* tag, const torch::Tensor& t, std::int64_t row) {
    std::fprintf(f, "%s", tag);
    const float* p = t.data_ptr<float>() + row * t.size(1);
    for (std::int64_t j = 0; j < t.size(1); ++j)
      std::fprintf(f, " %.9g", static_cast<double>(p[j]));
    std::fprintf(f, "\n");
  };
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(count); ++i) {
    write_row("logits", logits, i);
    write_row("embed", embed, i);
  }
  if (std::fclose(f) != 0) throw std::runtime_error("cannot write " + out_path);
}

}  // namespace driftwatch::train_model
