// Test images: real Fashion-MNIST test items (Debian's dataset-fashion-mnist)
// and synthetic ones, encoded with the same TurboJPEG/libpng as production.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "server/image.h"
#include "tests/support/files.h"     // read_file, write_file
#include "tests/support/temp_dir.h"  // TempDir, make_temp_dir

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

}  // namespace dwtest
