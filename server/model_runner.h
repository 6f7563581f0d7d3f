// The TorchScript model, loaded once and shared by every inference thread.
// This header keeps LibTorch out of its includers: only model_runner.cpp
// includes <torch/script.h>.
//
// The model runs on a device (--device): the CPU, or a CUDA GPU. Inputs are
// always prepared on the host; run() copies a batch to the device once and
// brings its probabilities and embeddings back once.
//
// Thread contract: run() may be called from any number of threads at once;
// call init_inference_thread() once in each thread that runs the model. An
// InputBuffer belongs to one thread at a time.
#pragma once

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "server/model_config.h"

namespace driftwatch::server {

// How the logits and the embedding written to the ring come out of the
// module, in the order the server prefers them (SPEC, docs/model-config.md).
// The first two run the backbone once per request; kEmbedForward runs it
// twice (allowed, warned about at load with its measured cost).
enum class EmbeddingSource {
  kForwardTuple,  // forward(x) returns (logits, embedding)
  kEmbedHead,     // embedding = embed(x), logits = head(embedding)
  kEmbedForward,  // embed(x) and forward(x): two backbone passes
  kSoftmax,       // forward(x) returns logits only: the embedding is the softmax
};
const char* embedding_source_name(EmbeddingSource s);
// Backbone passes per request for a form: 2 for kEmbedForward, else 1.
int backbone_passes(EmbeddingSource s);

struct ModelOutput {
  std::vector<float> probabilities;  // softmax over the classes
  std::vector<float> embedding;
};

class ModelLoadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ModelRunner {
 public:
  struct Options {
    std::string path;
    ModelConfig config;
    int intra_op_threads = 1;
    // freeze + optimize_for_inference when it works (falls back otherwise).
    bool optimize = true;
    // Calls before the model counts as loaded: the profiling executor
    // specializes the graph on the first calls, which take milliseconds.
    int warmup_iterations = 8;
    // "cpu", "cuda" or "cuda:N" (torch::Device syntax).
    std::string device = "cpu";
  };

  // Loads, picks the form (EmbeddingSource), checks the outputs against the
  // config (class count), optimizes, warms up on the calling thread, learns
  // the embedding dimension and times one request's model call. Throws
  // ModelLoadError.
  explicit ModelRunner(Options options);
  ~ModelRunner();
  ModelRunner(const ModelRunner&) = delete;
  ModelRunner& operator=(const ModelRunner&) = delete;

  // Host memory for up to rows() inputs of C x H x W floats, one after the
  // other: page-locked when the model runs on a GPU, so that the copy of a
  // batch to the device is one direct transfer.
  class InputBuffer {
   public:
    InputBuffer();
    ~InputBuffer();
    InputBuffer(InputBuffer&&) noexcept;
    InputBuffer& operator=(InputBuffer&&) noexcept;
    float* row(std::size_t i);
    std::size_t rows() const { return rows_; }

   private:
    friend class ModelRunner;
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::size_t rows_ = 0;
    std::size_t row_floats_ = 0;
  };
  InputBuffer make_input_buffer(std::size_t rows) const;

  // `batch` preprocessed inputs (batch x C x H x W floats) -> `batch` outputs.
  // Throws std::runtime_error on a model failure (a server fault).
  void run(const float* input, std::size_t batch, std::vector<ModelOutput>& out) const;
  // The first `batch` rows of `input`, as one forward.
  void run(InputBuffer& input, std::size_t batch, std::vector<ModelOutput>& out) const;
  ModelOutput run_one(const float* input) const;

  // `iterations` calls at batch 1 on the calling thread, then `iterations`
  // at `max_batch` when it is larger: each inference thread does this before
  // the server says ready, since a thread's first calls (OpenMP/oneDNN
  // set-up, executor specialization for a shape, CUDA kernels) take far
  // longer.
  void warm_up(int iterations, std::size_t max_batch = 1) const;
  // Median time of one model call at `batch` rows (a fixed input), in ms.
  double time_call_ms(std::size_t batch) const;

  const ModelConfig& config() const;
  std::size_t num_classes() const;
  std::size_t embedding_dim() const;
  EmbeddingSource embedding_source() const;
  // Where the model runs: "cpu" or "cuda:N".
  std::string device() const;
  // Median time of one batch-1 model call after warm-up, measured at load.
  double call_ms() const;
  // kEmbedForward only: the measured cost of the second pass (embed), else 0.
  double extra_pass_ms() const;
  bool optimized() const;                        // serving the frozen + optimized module
  const std::string& optimization_note() const;  // why not, when not

  // Sets LibTorch's intra-op thread count for the calling thread (OpenMP's
  // setting is per thread) and turns off autograd bookkeeping.
  static void init_inference_thread(int intra_op_threads);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The LibTorch version the server was built against ("1.13.0"), for --version.
const char* libtorch_version();

}  // namespace driftwatch::server
