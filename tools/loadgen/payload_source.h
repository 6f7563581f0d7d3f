#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace driftwatch::loadgen {

// The request bodies of a run, encoded once at start so that sending costs
// no encoding: {"image": "<base64>"} per image, plus the two malformed bodies
// of the error mix.
//
// Request i gets a malformed body when floor((i+1)*share) > floor(i*share),
// so any prefix of n requests holds floor(n*share) of them (exact, not just on
// average); they alternate between `{}` and `{"image": "bad data"}`. The other
// requests cycle through the images in their (seeded) shuffled order.
//
// Thread contract: immutable after construction; body() may be called from
// any thread.
class PayloadSource {
 public:
  // Every .jpg/.jpeg/.png (any case) directly in `dir`, shuffled with `seed`.
  static PayloadSource from_image_dir(const std::string& dir, std::uint64_t seed);
  // Each image of an IDX3 file (gzipped or not) as an in-memory PNG,
  // shuffled with `seed`; at most max_images of them (0 = all). With
  // `labels_path` (an IDX1 file of at least as many labels), each image keeps
  // its true class through the shuffle (true_class()).
  static PayloadSource from_idx(const std::string& path, std::uint64_t seed,
                                std::uint32_t max_images, const std::string& labels_path = "");
  // One fixed file, sent as is.
  static PayloadSource from_image_file(const std::string& path);
  // Ready-made image bytes (tests).
  static PayloadSource from_images(std::vector<std::string> images);

  static const std::string kEmptyObjectBody;  // `{}`: lacks "image"
  static const std::string kBadDataBody;      // `{"image": "bad data"}`: invalid base64

  // Share of requests, in [0, 1], that get a malformed body.
  void set_error_share(double share) { error_share_ = share; }
  double error_share() const { return error_share_; }

  const std::string& body(std::uint64_t request_index) const;
  // True if body(request_index) is one of the malformed bodies.
  bool is_error_request(std::uint64_t request_index) const;

  // The true class of the image body(request_index) sends; -1 for a
  // malformed body or a source without labels.
  int true_class(std::uint64_t request_index) const;
  bool has_labels() const { return !labels_.empty(); }

  std::size_t image_count() const { return image_bodies_.size(); }
  std::size_t total_image_bytes() const { return total_image_bytes_; }

 private:
  explicit PayloadSource(std::vector<std::string> images);
  std::uint64_t errors_before(std::uint64_t request_index) const;
  std::size_t image_index(std::uint64_t request_index) const;

  std::vector<std::string> image_bodies_;
  std::vector<std::uint8_t> labels_;  // parallel to image_bodies_, or empty
  std::size_t total_image_bytes_ = 0;
  double error_share_ = 0.0;
};

// Wraps raw image bytes as the /predict JSON body.
std::string make_predict_body(const std::string& image_bytes);

}  // namespace driftwatch::loadgen
