#include "tools/make_reference/image_source.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "shared/common/idx_file.h"

namespace driftwatch::make_reference {
namespace {

namespace fs = std::filesystem;

class FolderSource : public ImageSource {
 public:
  FolderSource(std::vector<std::string> files, std::uint64_t max_pixels)
      : files_(std::move(files)), max_pixels_(max_pixels) {}
  std::size_t size() const override { return files_.size(); }
  bool get(std::size_t i, server::Image& out, std::string& error) override {
    std::ifstream in(files_[i], std::ios::binary);
    if (!in) {
      error = "cannot open";
      return false;
    }
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto r = server::decode_image(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                        bytes.size(), max_pixels_, out);
    if (!r.ok()) error = r.detail;
    return r.ok();
  }
  std::string describe(std::size_t i) const override { return files_[i]; }

 private:
  std::vector<std::string> files_;
  std::uint64_t max_pixels_;
};

class IdxSource : public ImageSource {
 public:
  explicit IdxSource(common::IdxImages images) : images_(std::move(images)) {}
  std::size_t size() const override { return images_.count; }
  bool get(std::size_t i, server::Image& out, std::string&) override {
    out.width = static_cast<int>(images_.cols);
    out.height = static_cast<int>(images_.rows);
    out.channels = 1;
    out.pixels.assign(images_.image(i), images_.image(i) + images_.image_size());
    return true;
  }
  std::string describe(std::size_t i) const override { return "IDX image " + std::to_string(i); }

 private:
  common::IdxImages images_;
};

bool has_image_extension(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png";
}

}  // namespace

std::unique_ptr<ImageSource> open_image_folder(const std::string& dir, std::uint64_t max_pixels) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw std::runtime_error(dir + " is not a folder");
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && has_image_extension(entry.path()))
      files.push_back(entry.path().string());
  }
  if (ec) throw std::runtime_error("cannot list " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  if (files.empty()) throw std::runtime_error("no .jpg, .jpeg or .png files under " + dir);
  return std::make_unique<FolderSource>(std::move(files), max_pixels);
}

std::unique_ptr<ImageSource> open_idx_images(const std::string& path) {
  return std::make_unique<IdxSource>(common::read_idx_images(path));
}

}  // namespace driftwatch::make_reference
