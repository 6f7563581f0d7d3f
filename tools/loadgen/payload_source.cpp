#include "tools/loadgen/payload_source.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <stdexcept>

#include "shared/common/base64.h"
#include "shared/common/idx_file.h"
#include "shared/common/image_encoder.h"

namespace driftwatch::loadgen {

namespace fs = std::filesystem;

const std::string PayloadSource::kEmptyObjectBody = "{}";
const std::string PayloadSource::kBadDataBody = R"({"image": "bad data"})";

namespace {

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path.string() + ": cannot open");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (!in.good() && !in.eof()) throw std::runtime_error(path.string() + ": read failed");
  return bytes.str();
}

bool has_image_extension(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png";
}

// Fisher-Yates with our own index draw: std::shuffle's use of the engine is
// implementation-defined, and a seed should give the same order everywhere.
template <typename T>
void seeded_shuffle(std::vector<T>& items, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (std::size_t i = items.size(); i > 1; --i) {
    const std::size_t j = static_cast<std::size_t>(rng() % i);
    std::swap(items[i - 1], items[j]);
  }
}

}  // namespace

std::string make_predict_body(const std::string& image_bytes) {
  return "{\"image\": \"" + common::base64_encode(image_bytes) + "\"}";
}

PayloadSource::PayloadSource(std::vector<std::string> images) {
  if (images.empty()) throw std::runtime_error("no images to send");
  image_bodies_.reserve(images.size());
  for (const std::string& image : images) {
    total_image_bytes_ += image.size();
    image_bodies_.push_back(make_predict_body(image));
  }
}

PayloadSource PayloadSource::from_images(std::vector<std::string> images) {
  return PayloadSource(std::move(images));
}

PayloadSource PayloadSource::from_image_dir(const std::string& dir, std::uint64_t seed) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw std::runtime_error(dir + ": not a directory");
  std::vector<fs::path> paths;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && has_image_extension(entry.path())) {
      paths.push_back(entry.path());
    }
  }
  if (ec) throw std::runtime_error(dir + ": " + ec.message());
  if (paths.empty()) throw std::runtime_error(dir + ": no .jpg, .jpeg or .png files");
  // Sort first: directory order varies between file systems, the seed must not.
  std::sort(paths.begin(), paths.end());
  seeded_shuffle(paths, seed);
  std::vector<std::string> images;
  images.reserve(paths.size());
  for (const fs::path& path : paths) images.push_back(read_file(path));
  return PayloadSource(std::move(images));
}

PayloadSource PayloadSource::from_idx(const std::string& path, std::uint64_t seed,
                                      std::uint32_t max_images, const std::string& labels_path) {
  const common::IdxImages idx = common::read_idx_images(path, max_images);
  if (idx.count == 0) throw std::runtime_error(path + ": IDX file holds no images");
  std::vector<std::uint8_t> all_labels;
  if (!labels_path.empty()) {
    all_labels = common::read_idx_labels(labels_path).labels;
    if (all_labels.size() < idx.count)
      throw std::runtime_error(labels_path + ": " + std::to_string(all_labels.size()) +
                               " labels for " + std::to_string(idx.count) + " images of " + path);
  }
  // One shuffle of the image order, applied to images and labels alike.
  std::vector<std::size_t> order(idx.count);
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  seeded_shuffle(order, seed);
  std::vector<std::string> images;
  std::vector<std::uint8_t> labels;
  images.reserve(idx.count);
  for (const std::size_t i : order) {
    // Unfiltered rows: the body sizes (and the server's decoding work) loadgen
    // has always sent.
    images.push_back(common::encode_png(
        {idx.image(i), static_cast<int>(idx.cols), static_cast<int>(idx.rows), 1},
        common::PngRowFilter::kNone));
    if (!all_labels.empty()) labels.push_back(all_labels[i]);
  }
  PayloadSource source(std::move(images));
  source.labels_ = std::move(labels);
  return source;
}

PayloadSource PayloadSource::from_image_file(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw std::runtime_error(path + ": no such file");
  std::string bytes = read_file(path);
  if (bytes.empty()) throw std::runtime_error(path + ": empty file");
  return PayloadSource({std::move(bytes)});
}

std::uint64_t PayloadSource::errors_before(std::uint64_t request_index) const {
  return static_cast<std::uint64_t>(std::floor(static_cast<double>(request_index) * error_share_));
}

bool PayloadSource::is_error_request(std::uint64_t request_index) const {
  return errors_before(request_index + 1) > errors_before(request_index);
}

std::size_t PayloadSource::image_index(std::uint64_t request_index) const {
  return static_cast<std::size_t>((request_index - errors_before(request_index)) %
                                  image_bodies_.size());
}

const std::string& PayloadSource::body(std::uint64_t request_index) const {
  if (is_error_request(request_index)) {
    return errors_before(request_index) % 2 == 0 ? kEmptyObjectBody : kBadDataBody;
  }
  return image_bodies_[image_index(request_index)];
}

int PayloadSource::true_class(std::uint64_t request_index) const {
  if (labels_.empty() || is_error_request(request_index)) return -1;
  return labels_[image_index(request_index)];
}

}  // namespace driftwatch::loadgen
