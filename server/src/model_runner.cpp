// The only translation unit of the server that includes LibTorch.
#include "driftwatch/server/model_runner.h"

#include <ATen/Parallel.h>
#include <torch/script.h>
#include <torch/version.h>

#include <cmath>
#include <random>

#include "driftwatch/server/preprocess.h"

namespace driftwatch::server {

const char* embedding_source_name(EmbeddingSource s) {
  switch (s) {
    case EmbeddingSource::kEmbedMethod:
      return "embed";
    case EmbeddingSource::kForwardTuple:
      return "forward_tuple";
    case EmbeddingSource::kSoftmax:
      return "softmax";
  }
  return "unknown";
}

struct ModelRunner::Impl {
  Options options;
  torch::jit::Module module;
  bool has_embed = false;
  EmbeddingSource source = EmbeddingSource::kSoftmax;
  std::size_t classes = 0;
  std::size_t embedding_dim = 0;
  bool optimized = false;
  std::string note;

  struct Raw {
    at::Tensor probs;      // [B, K]
    at::Tensor embedding;  // [B, D]
  };

  // One call of the model on a [B, C, H, W] tensor.
  Raw call(torch::jit::Module& m, const at::Tensor& x, bool learn) {
    c10::InferenceMode guard;
    torch::jit::IValue out = m.forward({x});
    at::Tensor logits;
    at::Tensor tuple_embedding;
    if (out.isTensor()) {
      logits = out.toTensor();
      if (learn) source = has_embed ? EmbeddingSource::kEmbedMethod : EmbeddingSource::kSoftmax;
    } else if (out.isTuple()) {
      const auto& elems = out.toTupleRef().elements();
      if (elems.size() < 2 || !elems[0].isTensor() || !elems[1].isTensor())
        throw ModelLoadError("forward returned a tuple that is not (logits, embedding)");
      logits = elems[0].toTensor();
      tuple_embedding = elems[1].toTensor();
      if (learn)
        source = has_embed ? EmbeddingSource::kEmbedMethod : EmbeddingSource::kForwardTuple;
    } else {
      throw ModelLoadError("forward must return a tensor or a (logits, embedding) tuple");
    }
    if (logits.dim() != 2 || logits.size(0) != x.size(0))
      throw std::runtime_error("forward returned logits of shape " + shape(logits) +
                               ", expected [batch, classes]");
    Raw r;
    r.probs = torch::softmax(logits.to(torch::kFloat32), 1).contiguous();
    switch (source) {
      case EmbeddingSource::kEmbedMethod: {
        torch::jit::IValue e = m.get_method("embed")({x});
        if (!e.isTensor()) throw std::runtime_error("embed(x) did not return a tensor");
        r.embedding = e.toTensor();
        break;
      }
      case EmbeddingSource::kForwardTuple:
        r.embedding = tuple_embedding;
        break;
      case EmbeddingSource::kSoftmax:
        r.embedding = r.probs;
        break;
    }
    if (r.embedding.dim() < 1 || r.embedding.size(0) != x.size(0))
      throw std::runtime_error("the embedding has shape " + shape(r.embedding) +
                               ", expected [batch, dim]");
    r.embedding = r.embedding.reshape({x.size(0), -1}).to(torch::kFloat32).contiguous();
    return r;
  }

  static std::string shape(const at::Tensor& t) {
    std::string s = "[";
    for (int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
    return s + "]";
  }

  static float max_abs_diff(const at::Tensor& a, const at::Tensor& b) {
    if (a.sizes() != b.sizes()) return INFINITY;
    return (a - b).abs().max().item<float>();
  }
};

ModelRunner::ModelRunner(Options options) : impl_(std::make_unique<Impl>()) {
  Impl& d = *impl_;
  d.options = std::move(options);
  const ModelConfig& c = d.options.config;
  init_inference_thread(d.options.intra_op_threads);
  try {
    d.module = torch::jit::load(d.options.path, torch::kCPU);
  } catch (const std::exception& e) {
    std::string what = e.what();
    throw ModelLoadError("cannot load TorchScript model " + d.options.path + ": " +
                         what.substr(0, what.find('\n')));
  }
  d.module.eval();
  d.has_embed = d.module.find_method("embed").has_value();

  // A fixed pseudo-random input: checks the output shapes, learns the
  // embedding dimension and compares the optimized module with the plain one.
  std::mt19937 rng(12345);
  std::normal_distribution<float> normal;
  std::vector<float> probe(input_size(c) * 2);
  for (auto& v : probe) v = normal(rng);
  const at::Tensor x =
      torch::from_blob(probe.data(), {2, c.channels, c.height, c.width}, torch::kFloat32).clone();
  Impl::Raw plain;
  try {
    plain = d.call(d.module, x, /*learn=*/true);
  } catch (const ModelLoadError&) {
    throw;
  } catch (const std::exception& e) {
    std::string what = e.what();
    throw ModelLoadError("the model failed on a [2, " + std::to_string(c.channels) + ", " +
                         std::to_string(c.height) + ", " + std::to_string(c.width) +
                         "] input: " + what.substr(0, what.find('\n')));
  }
  d.classes = static_cast<std::size_t>(plain.probs.size(1));
  if (d.classes != c.class_names.size())
    throw ModelLoadError("the model has " + std::to_string(d.classes) +
                         " outputs but the config names " + std::to_string(c.class_names.size()) +
                         " classes");
  d.embedding_dim = static_cast<std::size_t>(plain.embedding.size(1));

  if (d.options.optimize) {
    try {
      std::vector<std::string> keep;
      if (d.has_embed) keep.push_back("embed");
      // freeze inlines forward and drops other methods unless preserved.
      torch::jit::Module frozen = torch::jit::freeze(
          d.module, d.has_embed ? c10::optional<std::vector<std::string>>(keep) : c10::nullopt);
      torch::jit::Module opt = torch::jit::optimize_for_inference(frozen, keep);
      if (d.has_embed && !opt.find_method("embed"))
        throw std::runtime_error("embed was dropped by freezing");
      Impl::Raw fast = d.call(opt, x, /*learn=*/false);
      const float dp = Impl::max_abs_diff(fast.probs, plain.probs);
      const float de = Impl::max_abs_diff(fast.embedding, plain.embedding);
      const float scale = std::max(1.0f, plain.embedding.abs().max().item<float>());
      if (!(dp <= 1e-4f) || !(de <= 1e-4f * scale))
        throw std::runtime_error("optimized outputs differ (probabilities by " +
                                 std::to_string(dp) + ", embedding by " + std::to_string(de) + ")");
      d.module = opt;
      d.optimized = true;
    } catch (const std::exception& e) {
      std::string what = e.what();
      d.note = "serving the plain module: freeze/optimize_for_inference failed: " +
               what.substr(0, what.find('\n'));
    }
  } else {
    d.note = "optimization disabled";
  }

  // Warm up at batch 1, the serving shape.
  const at::Tensor one = x.narrow(0, 0, 1).contiguous();
  for (int i = 0; i < d.options.warmup_iterations; ++i) d.call(d.module, one, false);
}

ModelRunner::~ModelRunner() = default;

void ModelRunner::run(const float* input, std::size_t batch, std::vector<ModelOutput>& out) const {
  Impl& d = *impl_;
  const ModelConfig& c = d.options.config;
  c10::InferenceMode guard;
  // from_blob does not copy; the model only reads its input.
  const at::Tensor x = torch::from_blob(
      const_cast<float*>(input), {static_cast<int64_t>(batch), c.channels, c.height, c.width},
      torch::kFloat32);
  Impl::Raw r = d.call(d.module, x, false);
  out.resize(batch);
  const float* p = r.probs.data_ptr<float>();
  const float* e = r.embedding.data_ptr<float>();
  for (std::size_t i = 0; i < batch; ++i) {
    out[i].probabilities.assign(p + i * d.classes, p + (i + 1) * d.classes);
    out[i].embedding.assign(e + i * d.embedding_dim, e + (i + 1) * d.embedding_dim);
  }
}

ModelOutput ModelRunner::run_one(const float* input) const {
  std::vector<ModelOutput> out;
  run(input, 1, out);
  return std::move(out[0]);
}

const ModelConfig& ModelRunner::config() const { return impl_->options.config; }
std::size_t ModelRunner::num_classes() const { return impl_->classes; }
std::size_t ModelRunner::embedding_dim() const { return impl_->embedding_dim; }
EmbeddingSource ModelRunner::embedding_source() const { return impl_->source; }
bool ModelRunner::optimized() const { return impl_->optimized; }
const std::string& ModelRunner::optimization_note() const { return impl_->note; }

void ModelRunner::init_inference_thread(int intra_op_threads) {
  at::set_num_threads(std::max(1, intra_op_threads));
}

const char* libtorch_version() { return TORCH_VERSION; }

}  // namespace driftwatch::server
