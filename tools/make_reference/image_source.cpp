#include "image_source.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

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
  IdxSource(std::vector<std::uint8_t> pixels, std::size_t count, int rows, int cols)
      : pixels_(std::move(pixels)), count_(count), rows_(rows), cols_(cols) {}
  std::size_t size() const override { return count_; }
  bool get(std::size_t i, server::Image& out, std::string&) override {
    const std::size_t n = static_cast<std::size_t>(rows_) * cols_;
    out.width = cols_;
    out.height = rows_;
    out.channels = 1;
    out.pixels.assign(pixels_.begin() + i * n, pixels_.begin() + (i + 1) * n);
    return true;
  }
  std::string describe(std::size_t i) const override { return "IDX image " + std::to_string(i); }

 private:
  std::vector<std::uint8_t> pixels_;
  std::size_t count_;
  int rows_, cols_;
};

bool has_image_extension(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png";
}

std::uint32_t big_endian(const unsigned char* b) {
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
         b[3];
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
  // gzread reads plain files as they are, so both .gz and raw IDX work.
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw std::runtime_error("cannot open " + path);
  unsigned char head[16];
  if (gzread(f, head, sizeof head) != static_cast<int>(sizeof head)) {
    gzclose(f);
    throw std::runtime_error(path + ": too short for an IDX header");
  }
  const std::uint32_t magic = big_endian(head);
  if (magic != 0x803) {
    gzclose(f);
    throw std::runtime_error(path + ": not an IDX image file (magic " + std::to_string(magic) +
                             ", expected 2051)");
  }
  const std::uint32_t count = big_endian(head + 4);
  const std::uint32_t rows = big_endian(head + 8);
  const std::uint32_t cols = big_endian(head + 12);
  if (rows == 0 || cols == 0 || rows > 65536 || cols > 65536 ||
      static_cast<std::uint64_t>(count) * rows * cols > (8ull << 30)) {
    gzclose(f);
    throw std::runtime_error(path + ": implausible IDX dimensions");
  }
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(count) * rows * cols);
  std::size_t done = 0;
  while (done < pixels.size()) {
    const unsigned chunk =
        static_cast<unsigned>(std::min<std::size_t>(pixels.size() - done, 1u << 30));
    const int n = gzread(f, pixels.data() + done, chunk);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  gzclose(f);
  if (done != pixels.size()) throw std::runtime_error(path + ": truncated IDX data");
  return std::make_unique<IdxSource>(std::move(pixels), count, static_cast<int>(rows),
                                     static_cast<int>(cols));
}

}  // namespace driftwatch::make_reference
