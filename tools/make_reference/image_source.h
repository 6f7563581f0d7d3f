// Where make-reference gets its images: a folder of JPEG/PNG files (sorted by
// path, recursively) or a Fashion-MNIST style IDX image file (gzip or plain).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "server/image.h"

namespace driftwatch::make_reference {

class ImageSource {
 public:
  virtual ~ImageSource() = default;
  virtual std::size_t size() const = 0;  // images available
  // Image i (0 <= i < size()). Returns false and sets `error` if it cannot be read.
  virtual bool get(std::size_t i, server::Image& out, std::string& error) = 0;
  virtual std::string describe(std::size_t i) const = 0;
};

// Throws std::runtime_error naming the problem.
std::unique_ptr<ImageSource> open_image_folder(const std::string& dir, std::uint64_t max_pixels);
std::unique_ptr<ImageSource> open_idx_images(const std::string& path);

}  // namespace driftwatch::make_reference
