// Test images: real Fashion-MNIST test items (Debian's dataset-fashion-mnist)
// and synthetic ones, encoded with the same TurboJPEG/libpng as production.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "server/image.h"

namespace dwtest {

constexpr const char* kFashionTestImages =
    "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";

bool fashion_mnist_available();
// The first `count` test images (28x28 gray). Empty when the dataset is missing.
std::vector<driftwatch::server::Image> fashion_mnist_images(std::size_t count);

// Smooth colour gradients plus noise, deterministic in `seed`.
driftwatch::server::Image synthetic_image(int width, int height, int channels, std::uint32_t seed);

// A syntactically valid PNG header claiming width x height (no real pixels).
std::string png_claiming(std::uint32_t width, std::uint32_t height);

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& bytes);
// A fresh directory under /tmp.
std::string make_temp_dir(const std::string& prefix);

// A fresh directory under /tmp, removed with its contents on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix) : path_(make_temp_dir(prefix)) {}
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace dwtest
