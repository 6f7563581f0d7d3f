// make-reference: reference embeddings for the drift detector. Runs the same
// decoding, preprocessing and model as infer-server over a folder of images
// or an IDX file and writes the embeddings as float32 [N, D] .npy.
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "server/model_config.h"
#include "server/model_runner.h"
#include "server/preprocess.h"
#include "shared/common/cli.h"
#include "shared/common/npy.h"
#include "shared/common/progress_bar.h"
#include "tools/make_reference/image_source.h"

namespace po = boost::program_options;
using namespace driftwatch;

namespace {

// What follows the count on make-reference's bar: share done, rate, time left.
std::string progress_detail(std::size_t done, std::size_t total,
                            std::chrono::steady_clock::duration elapsed) {
  const double secs = std::chrono::duration<double>(elapsed).count();
  const double rate = secs > 0 ? done / secs : 0;
  const double frac = total ? static_cast<double>(done) / total : 1.0;
  const double eta = rate > 0 ? (total - done) / rate : 0;
  char text[96];
  std::snprintf(text, sizeof text, "%5.1f%% %7.0f img/s ETA %4.0fs", 100 * frac, rate, eta);
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  std::string model_path, config_path, idx, images, out;
  std::size_t count = 0, batch = 64;
  int threads = 2;
  std::uint64_t max_pixels = 40'000'000;
  const common::CliProgram program{
      "make-reference",
      "make-reference: embeddings of reference images with the served model's own decoding,\n"
      "preprocessing and embedding (embed(x), else forward's (logits, embedding), else softmax),\n"
      "written as float32 [N, D] .npy for drift-exporter --reference.\n\n"
      "Usage: make-reference --model PATH (--idx FILE | --images DIR) --out PATH [options]\n",
      "",
      {std::string("libtorch ") + server::libtorch_version()}};
  po::options_description desc("Options");
  // clang-format off
  desc.add_options()
    ("model", po::value(&model_path)->value_name("PATH"), "TorchScript model (required)")
    ("model-config", po::value(&config_path)->value_name("PATH"), "model config JSON; default: the model path with .json")
    ("idx", po::value(&idx)->value_name("FILE"), "IDX image file (.gz or plain), e.g. Fashion-MNIST")
    ("images", po::value(&images)->value_name("DIR"), "folder of .jpg/.jpeg/.png files (recursive, sorted by path)")
    ("count", po::value(&count)->value_name("N"), "use the first N images (default: all)")
    ("out", po::value(&out)->value_name("PATH"), "output .npy (required)")
    ("batch", po::value(&batch)->default_value(batch)->value_name("B"), "images per model call")
    ("intra-op-threads", po::value(&threads)->default_value(threads)->value_name("N"), "LibTorch threads")
    ("max-pixels", po::value(&max_pixels)->default_value(max_pixels)->value_name("P"), "largest image accepted");
  // clang-format on
  po::variables_map vm;
  const common::CliOutcome outcome =
      common::parse_cli(program, desc, argc, argv, vm, std::cout, std::cerr);
  if (outcome != common::CliOutcome::kRun) return common::exit_status(outcome);
  if (model_path.empty() || out.empty() || idx.empty() == images.empty() || batch == 0) {
    std::cerr
        << "make-reference: need --model, --out and exactly one of --idx / --images (see --help)\n";
    return 2;
  }

  try {
    const std::string cfg_path =
        config_path.empty() ? server::default_config_path(model_path) : config_path;
    server::ModelRunner::Options mo;
    mo.path = model_path;
    mo.config = server::load_model_config(cfg_path);
    mo.intra_op_threads = threads;
    mo.warmup_iterations = 2;
    server::ModelRunner model(mo);
    const server::ModelConfig& cfg = model.config();

    auto source = idx.empty() ? make_reference::open_image_folder(images, max_pixels)
                              : make_reference::open_idx_images(idx);
    const std::size_t total = count == 0 ? source->size() : std::min(count, source->size());
    if (count > source->size())
      std::cerr << "make-reference: only " << source->size() << " images available, using all\n";
    const std::size_t dim = model.embedding_dim();
    std::cerr << "make-reference: model " << cfg.name << " v" << cfg.version << ", embedding "
              << dim << " (" << server::embedding_source_name(model.embedding_source()) << "), "
              << total << " images\n";

    std::vector<float> embeddings;
    embeddings.reserve(total * dim);
    const std::size_t per_image = server::input_size(cfg);
    std::vector<float> input;
    std::vector<float> one;
    std::vector<server::ModelOutput> outputs;
    server::Image image;
    std::size_t skipped = 0;
    const auto started = std::chrono::steady_clock::now();
    common::ProgressBar progress(stderr, common::ProgressBar::is_tty(stderr), "", total, started);
    for (std::size_t i = 0; i < total;) {
      input.clear();
      std::size_t in_batch = 0;
      for (; i < total && in_batch < batch; ++i) {
        std::string error;
        if (!source->get(i, image, error)) {
          std::cerr << "\nmake-reference: skipping " << source->describe(i) << ": " << error
                    << "\n";
          ++skipped;
          continue;
        }
        server::preprocess(image, cfg, one);
        input.insert(input.end(), one.begin(), one.begin() + per_image);
        ++in_batch;
      }
      if (in_batch > 0) {
        model.run(input.data(), in_batch, outputs);
        for (std::size_t b = 0; b < in_batch; ++b)
          embeddings.insert(embeddings.end(), outputs[b].embedding.begin(),
                            outputs[b].embedding.end());
      }
      const auto now = std::chrono::steady_clock::now();
      if (progress.due(i, now)) progress.update(i, progress_detail(i, total, now - started), now);
    }
    progress.finish();
    const std::size_t rows = embeddings.size() / dim;
    if (rows == 0) throw std::runtime_error("no image could be read");
    common::write_npy(out, common::NpyArray::from_float32({rows, dim}, embeddings));
    std::cerr << "make-reference: wrote " << out << ": float32 [" << rows << ", " << dim << "]";
    if (skipped) std::cerr << " (" << skipped << " unreadable images skipped)";
    std::cerr << "\n";
  } catch (const std::exception& e) {
    std::cerr << "make-reference: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
