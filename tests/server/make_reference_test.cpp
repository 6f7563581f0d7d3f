// make-reference end to end: the .npy it writes holds, row by row, the
// embedding the model gives each image after the server's own preprocessing.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#include "server/image.h"
#include "server/model_config.h"
#include "server/preprocess.h"
#include "tests/server/support/test_images.h"
#include "tests/server/support/test_models.h"

using namespace driftwatch;

namespace {

struct Npy {
  std::size_t rows = 0, cols = 0;
  std::vector<float> data;
};

Npy read_npy(const std::string& path) {
  const std::string b = dwtest::read_file(path);
  Npy n;
  if (b.size() < 10 || b.compare(0, 6, "\x93NUMPY") != 0) return n;
  const std::size_t hlen =
      static_cast<unsigned char>(b[8]) | (static_cast<unsigned char>(b[9]) << 8);
  const std::string header = b.substr(10, hlen);
  EXPECT_NE(header.find("'<f4'"), std::string::npos);
  const auto shape = header.find("'shape': (");
  std::sscanf(header.c_str() + shape, "'shape': (%zu, %zu)", &n.rows, &n.cols);
  n.data.resize(n.rows * n.cols);
  std::memcpy(n.data.data(), b.data() + 10 + hlen, n.data.size() * 4);
  return n;
}

void expect_row(const Npy& n, std::size_t row, const std::vector<float>& e) {
  ASSERT_EQ(n.cols, e.size());
  for (std::size_t i = 0; i < e.size(); ++i)
    EXPECT_NEAR(n.data[row * n.cols + i], e[i], 1e-5 * std::max(1.0f, std::abs(e[i])))
        << row << "," << i;
}

}  // namespace

TEST(MakeReference, EmbedsAFolderOfImagesLikeTheServer) {
  const dwtest::TempDir tmp("mkref");
  const std::string& dir = tmp.path();
  dwtest::write_test_model(dir + "/m.pt", dir + "/m.json", dwtest::ModelKind::kEmbedHead);
  const server::ModelConfig cfg = server::load_model_config(dir + "/m.json");
  std::system(("mkdir -p " + dir + "/images/sub").c_str());
  std::vector<server::Image> images;
  for (int i = 0; i < 6; ++i) {
    images.push_back(dwtest::synthetic_image(28 + 10 * i, 28 + 5 * i, i % 2 ? 3 : 1, 40 + i));
    const std::string name = dir + "/images/" + (i >= 4 ? "sub/" : "") + "img" + std::to_string(i);
    dwtest::write_file(
        name + (i % 3 == 2 ? ".jpg" : ".png"),
        i % 3 == 2 ? server::encode_jpeg(images.back(), 92) : server::encode_png(images.back()));
  }
  dwtest::write_file(dir + "/images/notes.txt", "ignored");
  const std::string cmd = std::string(DW_MAKE_REFERENCE) + " --model " + dir + "/m.pt --images " +
                          dir + "/images --out " + dir + "/ref.npy 2> " + dir + "/stderr.txt";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << dwtest::read_file(dir + "/stderr.txt");
  const std::string log = dwtest::read_file(dir + "/stderr.txt");
  EXPECT_NE(log.find("100.0%"), std::string::npos) << log;  // the progress bar finished
  const Npy n = read_npy(dir + "/ref.npy");
  ASSERT_EQ(n.rows, 6u);
  ASSERT_EQ(n.cols, 16u);
  // Rows follow the sorted paths: img0..img3 then sub/img4, sub/img5.
  for (int i = 0; i < 6; ++i) {
    const std::string bytes = dwtest::read_file(dir + "/images/" + (i >= 4 ? "sub/" : "") + "img" +
                                                std::to_string(i) + (i % 3 == 2 ? ".jpg" : ".png"));
    server::Image decoded;
    ASSERT_TRUE(server::decode_image(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                     bytes.size(), 1u << 30, decoded)
                    .ok());
    std::vector<float> x;
    server::preprocess(decoded, cfg, x);
    expect_row(n, static_cast<std::size_t>(i),
               dwtest::run_direct(dir + "/m.pt", x, 1, 28, 28).embedding);
  }
}

TEST(MakeReference, EmbedsTheFirstNItemsOfAnIdxFile) {
  if (!dwtest::fashion_mnist_available()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const dwtest::TempDir tmp("mkref");
  const std::string& dir = tmp.path();
  dwtest::write_test_model(dir + "/m.pt", dir + "/m.json", dwtest::ModelKind::kTuple);
  const std::string cmd = std::string(DW_MAKE_REFERENCE) + " --model " + dir + "/m.pt --idx " +
                          dwtest::kFashionTestImages + " --count 70 --batch 32 --out " + dir +
                          "/ref.npy 2> " + dir + "/stderr.txt";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << dwtest::read_file(dir + "/stderr.txt");
  const Npy n = read_npy(dir + "/ref.npy");
  ASSERT_EQ(n.rows, 70u);
  ASSERT_EQ(n.cols, 16u);
  const server::ModelConfig cfg = server::load_model_config(dir + "/m.json");
  const auto images = dwtest::fashion_mnist_images(70);
  for (std::size_t i : {0u, 33u, 69u}) {
    std::vector<float> x;
    server::preprocess(images[i], cfg, x);
    expect_row(n, i, dwtest::run_direct(dir + "/m.pt", x, 1, 28, 28).embedding);
  }
}

TEST(MakeReference, RefusesBadArguments) {
  EXPECT_NE(std::system((std::string(DW_MAKE_REFERENCE) + " --out /tmp/x.npy 2>/dev/null").c_str()),
            0);
  EXPECT_NE(std::system((std::string(DW_MAKE_REFERENCE) +
                         " --model /nonexistent.pt --idx /nonexistent --out /tmp/x.npy 2>/dev/null")
                            .c_str()),
            0);
  EXPECT_EQ(std::system((std::string(DW_MAKE_REFERENCE) + " --help >/dev/null").c_str()), 0);
}
