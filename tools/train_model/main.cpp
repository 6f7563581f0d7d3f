// train-demo-model: trains the demo Fashion-MNIST CNN (default mode), exports
// test images as JPEG/PNG (--export-images), or dumps a saved model's outputs
// for cross-checking (--dump-logits). Only trainer.cpp needs LibTorch.
#include <torch/version.h>

#include <boost/program_options.hpp>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>

#include "shared/common/cli.h"
#include "tools/train_model/fashion_mnist.h"
#include "tools/train_model/image_export.h"
#include "tools/train_model/model_config.h"
#include "tools/train_model/trainer.h"

namespace po = boost::program_options;
using namespace driftwatch::train_model;

namespace {

constexpr const char* kDefaultDataDir = "/usr/share/datasets/fashion-mnist";

int usage_error(const std::string& what) {
  std::fprintf(stderr, "train-demo-model: %s (see --help)\n", what.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  TrainOptions train;
  ExportOptions exp;
  std::string data_dir, export_format, export_transform, dump_path, model_path;
  std::size_t export_count = 0, dump_count = 0;

  const driftwatch::common::CliProgram program{
      "train-demo-model",
      "train-demo-model: train the demo Fashion-MNIST CNN and save it as TorchScript\n"
      "  train:  train-demo-model --out DIR [--epochs N] [--seed S] [--threads T]\n"
      "  export: train-demo-model --export-images N --export-format jpeg|png|idx --export-dir DIR\n"
      "                           [--export-transform none|noise|rotate|invert]\n"
      "  check:  train-demo-model --dump-logits FILE --model DIR/fashion_cnn.pt\n",
      "",
      {std::string("libtorch ") + TORCH_VERSION}};
  po::options_description desc("Options");
  // clang-format off
  desc.add_options()
    ("out", po::value(&train.out_dir)->default_value("models"),
     "directory for fashion_cnn.pt and fashion_cnn.json")
    ("epochs", po::value(&train.epochs)->default_value(train.epochs), "training epochs")
    ("seed", po::value(&train.seed)->default_value(train.seed),
     "seed for initialisation, shuffling and the export transforms")
    ("threads", po::value(&train.threads)->default_value(train.threads),
     "LibTorch intra-op threads")
    ("batch-size", po::value(&train.batch_size)->default_value(train.batch_size), "batch size")
    ("lr", po::value(&train.learning_rate)->default_value(train.learning_rate),
     "peak Adam learning rate (cosine decay to 0)")
    ("data-dir", po::value(&data_dir)->default_value(kDefaultDataDir),
     "directory with the Fashion-MNIST {train,t10k}-*-ubyte.gz files")
    ("export-images", po::value(&export_count),
     "export the first N test images instead of training")
    ("export-format", po::value(&export_format)->default_value("png"),
     "jpeg, png or idx (DIR/images-idx3-ubyte and DIR/labels-idx1-ubyte)")
    ("export-dir", po::value(&exp.dir), "directory for the exported <index>_<label>.jpg|png")
    ("export-transform", po::value(&export_transform)->default_value("none"),
     "none, noise (Gaussian), rotate (random 30..150 degrees) or invert")
    ("jpeg-quality", po::value(&exp.jpeg_quality)->default_value(exp.jpeg_quality),
     "JPEG quality 1..100")
    ("dump-logits", po::value(&dump_path),
     "load --model and write forward/embed of the first --dump-count test images to this file")
    ("model", po::value(&model_path), "saved model for --dump-logits (default OUT/fashion_cnn.pt)")
    ("dump-count", po::value(&dump_count)->default_value(8), "images for --dump-logits");
  // clang-format on

  po::variables_map vm;
  const auto outcome =
      driftwatch::common::parse_cli(program, desc, argc, argv, vm, std::cout, std::cerr);
  if (outcome != driftwatch::common::CliOutcome::kRun)
    return driftwatch::common::exit_status(outcome);

  try {
    if (vm.count("export-images")) {
      const auto format = parse_image_format(export_format);
      if (!format) return usage_error("unknown --export-format '" + export_format + "'");
      const auto transform = parse_image_transform(export_transform);
      if (!transform) return usage_error("unknown --export-transform '" + export_transform + "'");
      if (exp.dir.empty()) return usage_error("--export-images needs --export-dir");
      exp.count = export_count;
      exp.format = *format;
      exp.transform = *transform;
      exp.seed = train.seed;
      const Dataset test = read_fashion_mnist(data_dir, "t10k");
      export_images(test, exp);
      std::printf("exported %zu %s images (transform %s) to %s\n", exp.count,
                  image_format_extension(exp.format), image_transform_name(exp.transform),
                  exp.dir.c_str());
      return 0;
    }

    // Normalisation always comes from the training set, as in the config.
    const Dataset train_set = read_fashion_mnist(data_dir, "train");
    const Dataset test_set = read_fashion_mnist(data_dir, "t10k");
    const Normalization norm = compute_normalization(train_set.images);

    if (vm.count("dump-logits")) {
      if (model_path.empty()) model_path = train.out_dir + "/" + kModelFile;
      dump_model_outputs(model_path, test_set, norm, dump_count, dump_path, train.threads);
      std::printf("wrote outputs of %zu test images through %s to %s\n", dump_count,
                  model_path.c_str(), dump_path.c_str());
      return 0;
    }

    std::printf(
        "training on %zu images (test %zu), mean %.4f std %.4f, %d epochs, seed %llu, "
        "%d threads\n",
        train_set.images.count, test_set.images.count, static_cast<double>(norm.mean),
        static_cast<double>(norm.std), train.epochs, static_cast<unsigned long long>(train.seed),
        train.threads);
    std::fflush(stdout);
    const TrainResult r = train_demo_model(train, train_set, test_set, norm);
    std::printf("saved %s and %s\n", r.model_path.c_str(), r.config_path.c_str());
    std::printf("training time: %.1f s\n", r.train_seconds);
    std::printf("test accuracy: %.4f (%zu/%zu)\n", r.test_accuracy, r.test_correct, r.test_total);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train-demo-model: error: %s\n", e.what());
    return 1;
  }
}
