// server-test-models: writes the tests' TorchScript models and sample images
// into a folder, for the browser test and for load measurements.
//   server-test-models DIR
// writes DIR/tiny.pt, DIR/tiny.json (embed + head, tiny), DIR/demo.pt,
// DIR/demo.json (the demo CNN's shape, untrained), DIR/sample.jpg,
// DIR/sample.png (Fashion-MNIST test item 0, or a synthetic image) and
// DIR/body.json ({"image": base64 of sample.png}).
#include <cstdio>
#include <string>

#include "server/image.h"
#include "shared/common/base64.h"
#include "tests/server/support/test_images.h"
#include "tests/server/support/test_models.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: server-test-models DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  try {
    dwtest::write_test_model(dir + "/tiny.pt", dir + "/tiny.json", dwtest::ModelKind::kEmbedHead);
    dwtest::write_test_model(dir + "/demo.pt", dir + "/demo.json", dwtest::ModelKind::kEmbedHead,
                             dwtest::ModelSize::kDemo);
    auto images = dwtest::fashion_mnist_images(1);
    const auto img = images.empty() ? dwtest::synthetic_image(28, 28, 1, 1) : images[0];
    const std::string png = driftwatch::server::encode_png(img);
    dwtest::write_file(dir + "/sample.png", png);
    dwtest::write_file(dir + "/sample.jpg", driftwatch::server::encode_jpeg(img, 92));
    dwtest::write_file(dir + "/body.json",
                       "{\"image\": \"" + driftwatch::common::base64_encode(png) + "\"}");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "server-test-models: %s\n", e.what());
    return 1;
  }
  return 0;
}
