// The only translation unit of the server that includes LibTorch.
#include "server/model_runner.h"

#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/script.h>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

#include "server/preprocess.h"

namespace driftwatch::server {

const char* embedding_source_name(EmbeddingSource s) {
  switch (s) {
    case EmbeddingSource::kForwardTuple:
      return "forward_tuple";
    case EmbeddingSource::kEmbedHead:
      return "embed_head";
    case EmbeddingSource::kEmbedForward:
      return "embed_forward";
    case EmbeddingSource::kSoftmax:
      return "softmax";
  }
  return "unknown";
}

int backbone_passes(EmbeddingSource s) { return s == EmbeddingSource::kEmbedForward ? 2 : 1; }

namespace {

using Clock = std::chrono::steady_clock;

// The form a module offers, from its methods and forward's declared return
// type: a module with a one-pass form is never called the two-pass way, so
// a test model whose other path throws proves it.
EmbeddingSource pick_source(const torch::jit::Module& m) {
  const auto& returns = m.get_method("forward").function().getSchema().returns();
  if (returns.size() == 1 && returns[0].type()->kind() == c10::TypeKind::TupleType)
    return EmbeddingSource::kForwardTuple;
  const bool has_embed = m.find_method("embed").has_value();
  if (has_embed && m.find_method("head").has_value()) return EmbeddingSource::kEmbedHead;
  return has_embed ? EmbeddingSource::kEmbedForward : EmbeddingSource::kSoftmax;
}

at::Tensor as_tensor(const torch::jit::IValue& v, const char* what) {
  if (!v.isTensor()) throw std::runtime_error(std::string(what) + " did not return a tensor");
  return v.toTensor();
}

std::string shape(const at::Tensor& t) {
  std::string s = "[";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + "]";
}

float max_abs_diff(const at::Tensor& a, const at::Tensor& b) {
  if (a.sizes() != b.sizes()) return INFINITY;
  return (a - b).abs().max().item<float>();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

// The device `name` names, checked against what this LibTorch and machine
// have. Throws ModelLoadError with what to do instead.
torch::Device checked_device(const std::string& name) {
  c10::optional<torch::Device> parsed;
  try {
    parsed = torch::Device(name);
  } catch (const std::exception&) {
  }
  if (!parsed || !(parsed->is_cpu() || parsed->is_cuda()))
    throw ModelLoadError("--device " + name + ": expected cpu, cuda or cuda:N");
  torch::Device d = *parsed;
  if (d.is_cpu()) return torch::Device(torch::kCPU);
  if (!at::hasCUDA())
    throw ModelLoadError("--device " + name + ": this LibTorch (" + std::string(TORCH_VERSION) +
                         ") was built without CUDA; build infer-server against a CUDA LibTorch "
                         "(docs/server.md, the GPU path) or serve with --device cpu");
  const auto count = static_cast<int>(torch::cuda::device_count());
  const int index = d.has_index() ? d.index() : 0;
  if (index >= count)
    throw ModelLoadError("--device " + name + ": no such CUDA device (" + std::to_string(count) +
                         " visible)");
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
}

}  // namespace

struct ModelRunner::InputBuffer::Impl {
  at::Tensor host;  // [rows, C, H, W] float32, pinned for a CUDA model
};

ModelRunner::InputBuffer::InputBuffer() = default;
ModelRunner::InputBuffer::~InputBuffer() = default;
ModelRunner::InputBuffer::InputBuffer(InputBuffer&&) noexcept = default;
ModelRunner::InputBuffer& ModelRunner::InputBuffer::operator=(InputBuffer&&) noexcept = default;

float* ModelRunner::InputBuffer::row(std::size_t i) {
  return impl_->host.data_ptr<float>() + i * row_floats_;
}

struct ModelRunner::Impl {
  Options options;
  torch::Device device{torch::kCPU};
  torch::jit::Module module;
  EmbeddingSource source = EmbeddingSource::kSoftmax;
  std::size_t classes = 0;
  std::size_t embedding_dim = 0;
  bool optimized = false;
  std::string note;
  at::Tensor probe_one;  // a [1, C, H, W] input on the device, for warm-up
  double call_ms = 0;
  double extra_pass_ms = 0;

  struct Raw {
    at::Tensor probs;      // [B, K]
    at::Tensor embedding;  // [B, D]
  };

  // Logits and embedding of `m` on a [B, C, H, W] tensor, the way `source`
  // says: one backbone pass unless the module only offers two.
  Raw call(const torch::jit::Module& m, const at::Tensor& x) const {
    c10::InferenceMode guard;
    at::Tensor logits;
    at::Tensor embedding;
    switch (source) {
      case EmbeddingSource::kForwardTuple: {
        const torch::jit::IValue out = m.get_method("forward")({x});
        const auto& elems = out.toTupleRef().elements();
        if (elems.size() < 2 || !elems[0].isTensor() || !elems[1].isTensor())
          throw std::runtime_error("forward returned a tuple that is not (logits, embedding)");
        logits = elems[0].toTensor();
        embedding = elems[1].toTensor();
        break;
      }
      case EmbeddingSource::kEmbedHead:
        embedding = as_tensor(m.get_method("embed")({x}), "embed(x)");
        logits = as_tensor(m.get_method("head")({embedding}), "head(embedding)");
        break;
      case EmbeddingSource::kEmbedForward:
        logits = as_tensor(m.get_method("forward")({x}), "forward(x)");
        embedding = as_tensor(m.get_method("embed")({x}), "embed(x)");
        break;
      case EmbeddingSource::kSoftmax:
        logits = as_tensor(m.get_method("forward")({x}), "forward(x)");
        break;
    }
    if (logits.dim() != 2 || logits.size(0) != x.size(0))
      throw std::runtime_error("the model returned logits of shape " + shape(logits) +
                               ", expected [batch, classes]");
    Raw r;
    r.probs = torch::softmax(logits.to(torch::kFloat32), 1).contiguous();
    if (source == EmbeddingSource::kSoftmax) embedding = r.probs;
    if (embedding.dim() < 1 || embedding.size(0) != x.size(0))
      throw std::runtime_error("the embedding has shape " + shape(embedding) +
                               ", expected [batch, dim]");
    r.embedding = embedding.reshape({x.size(0), -1}).to(torch::kFloat32).contiguous();
    return r;
  }

  // The outputs of a forward on `batch` rows, on the host: one copy back
  // from a GPU (probabilities and embeddings side by side), none on the CPU.
  void to_host(const Raw& r, std::size_t batch, std::vector<ModelOutput>& out) const {
    const auto k = static_cast<std::size_t>(r.probs.size(1));
    const auto dim = static_cast<std::size_t>(r.embedding.size(1));
    at::Tensor both;
    const float* p = nullptr;
    const float* e = nullptr;
    std::size_t p_stride = k, e_stride = dim;
    if (device.is_cpu()) {
      p = r.probs.data_ptr<float>();
      e = r.embedding.data_ptr<float>();
    } else {
      both = torch::cat({r.probs, r.embedding}, 1).to(torch::kCPU);
      p = both.data_ptr<float>();
      e = p + k;
      p_stride = e_stride = k + dim;
    }
    out.resize(batch);
    for (std::size_t i = 0; i < batch; ++i) {
      out[i].probabilities.assign(p + i * p_stride, p + i * p_stride + k);
      out[i].embedding.assign(e + i * e_stride, e + i * e_stride + dim);
    }
  }

  // The probe input repeated to `batch` rows, on the device.
  at::Tensor probe(std::size_t batch) const {
    return probe_one.expand({static_cast<int64_t>(batch), -1, -1, -1}).contiguous();
  }

  // Median wall time of `fn` over a few calls, in milliseconds.
  template <typename Fn>
  static double time_ms(Fn&& fn, int calls = 5) {
    std::vector<double> ms;
    for (int i = 0; i < calls; ++i) {
      const auto t0 = Clock::now();
      fn();
      ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    return median(std::move(ms));
  }

  // Freezes and optimizes the module, keeping the methods `source` calls,
  // and serves it only if it agrees with the plain module on `x`.
  void optimize(const at::Tensor& x, const Raw& plain) {
    std::vector<std::string> keep;
    if (source == EmbeddingSource::kEmbedHead) keep = {"embed", "head"};
    if (source == EmbeddingSource::kEmbedForward) keep = {"embed"};
    // freeze inlines forward and drops other methods unless preserved.
    torch::jit::Module frozen = torch::jit::freeze(
        module, keep.empty() ? c10::nullopt : c10::optional<std::vector<std::string>>(keep));
    torch::jit::Module opt = torch::jit::optimize_for_inference(frozen, keep);
    for (const auto& name : keep)
      if (!opt.find_method(name)) throw std::runtime_error(name + " was dropped by freezing");
    const Raw fast = call(opt, x);
    const float dp = max_abs_diff(fast.probs, plain.probs);
    const float de = max_abs_diff(fast.embedding, plain.embedding);
    const float scale = std::max(1.0f, plain.embedding.abs().max().item<float>());
    if (!(dp <= 1e-4f) || !(de <= 1e-4f * scale))
      throw std::runtime_error("optimized outputs differ (probabilities by " + std::to_string(dp) +
                               ", embedding by " + std::to_string(de) + ")");
    module = opt;
    optimized = true;
  }
};

ModelRunner::ModelRunner(Options options) : impl_(std::make_unique<Impl>()) {
  Impl& d = *impl_;
  d.options = std::move(options);
  const ModelConfig& c = d.options.config;
  init_inference_thread(d.options.intra_op_threads);
  d.device = checked_device(d.options.device);
  try {
    d.module = torch::jit::load(d.options.path, d.device);
  } catch (const std::exception& e) {
    std::string what = e.what();
    throw ModelLoadError("cannot load TorchScript model " + d.options.path + ": " +
                         what.substr(0, what.find('\n')));
  }
  d.module.eval();
  try {
    d.source = pick_source(d.module);
  } catch (const std::exception& e) {
    std::string what = e.what();
    throw ModelLoadError("the model has no usable forward method: " +
                         what.substr(0, what.find('\n')));
  }

  // A fixed pseudo-random input: checks the output shapes, learns the
  // embedding dimension and compares the optimized module with the plain one.
  std::mt19937 rng(12345);
  std::normal_distribution<float> normal;
  std::vector<float> probe(input_size(c) * 2);
  for (auto& v : probe) v = normal(rng);
  const at::Tensor x =
      torch::from_blob(probe.data(), {2, c.channels, c.height, c.width}, torch::kFloat32)
          .to(d.device);
  Impl::Raw plain;
  try {
    plain = d.call(d.module, x);
  } catch (const std::exception& e) {
    std::string what = e.what();
    throw ModelLoadError("the model (" + std::string(embedding_source_name(d.source)) +
                         " form) failed on a [2, " + std::to_string(c.channels) + ", " +
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
      d.optimize(x, plain);
    } catch (const std::exception& e) {
      std::string what = e.what();
      d.note = "serving the plain module: freeze/optimize_for_inference failed: " +
               what.substr(0, what.find('\n'));
    }
  } else {
    d.note = "optimization disabled";
  }

  // Warm up at batch 1, the serving shape, then time what a request costs
  // (through run(): on a GPU the copies are part of it).
  d.probe_one = x.narrow(0, 0, 1).contiguous();
  warm_up(d.options.warmup_iterations);
  d.call_ms = time_call_ms(1);
  if (d.source == EmbeddingSource::kEmbedForward) {
    d.extra_pass_ms = Impl::time_ms([&] {
      c10::InferenceMode guard;
      as_tensor(d.module.get_method("embed")({d.probe_one}), "embed(x)").to(torch::kCPU);
    });
  }
}

void ModelRunner::warm_up(int iterations, std::size_t max_batch) const {
  const Impl& d = *impl_;
  std::vector<ModelOutput> out;
  std::vector<std::size_t> shapes = {1};
  if (max_batch > 1) shapes.push_back(max_batch);
  for (const std::size_t batch : shapes) {
    const at::Tensor x = d.probe(batch);
    for (int i = 0; i < iterations; ++i) d.to_host(d.call(d.module, x), batch, out);
  }
}

double ModelRunner::time_call_ms(std::size_t batch) const {
  const Impl& d = *impl_;
  InputBuffer input = make_input_buffer(batch);
  const at::Tensor probe = d.probe(batch).to(torch::kCPU);
  std::copy_n(probe.data_ptr<float>(), probe.numel(), input.row(0));
  std::vector<ModelOutput> out;
  return Impl::time_ms([&] { run(input, batch, out); });
}

ModelRunner::InputBuffer ModelRunner::make_input_buffer(std::size_t rows) const {
  const ModelConfig& c = impl_->options.config;
  InputBuffer b;
  b.impl_ = std::make_unique<InputBuffer::Impl>();
  b.impl_->host = at::empty(
      {static_cast<int64_t>(std::max<std::size_t>(1, rows)), c.channels, c.height, c.width},
      at::TensorOptions().dtype(torch::kFloat32).pinned_memory(impl_->device.is_cuda()));
  b.rows_ = rows;
  b.row_floats_ = input_size(c);
  return b;
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
  d.to_host(d.call(d.module, x.to(d.device)), batch, out);
}

void ModelRunner::run(InputBuffer& input, std::size_t batch, std::vector<ModelOutput>& out) const {
  const Impl& d = *impl_;
  c10::InferenceMode guard;
  // One transfer per batch; asynchronous from pinned memory, ordered before
  // the forward on the device's stream, and the copy back waits for both.
  const at::Tensor x =
      input.impl_->host.narrow(0, 0, static_cast<int64_t>(batch)).to(d.device, true);
  d.to_host(d.call(d.module, x), batch, out);
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
std::string ModelRunner::device() const { return impl_->device.str(); }
double ModelRunner::call_ms() const { return impl_->call_ms; }
double ModelRunner::extra_pass_ms() const { return impl_->extra_pass_ms; }
bool ModelRunner::optimized() const { return impl_->optimized; }
const std::string& ModelRunner::optimization_note() const { return impl_->note; }

void ModelRunner::init_inference_thread(int intra_op_threads) {
  at::set_num_threads(std::max(1, intra_op_threads));
}

const char* libtorch_version() { return TORCH_VERSION; }

}  // namespace driftwatch::server
