#include "shared/common/idx_file.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <stdexcept>

namespace driftwatch::common {
namespace {

// Upper bound on one dimension: rejects garbage headers before allocating.
constexpr std::uint32_t kMaxDim = 1u << 24;
constexpr std::size_t kMaxBytes = std::size_t{1} << 32;

struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error("IDX file " + path + ": " + what);
}

GzFile open(const std::string& path) {
  GzFile f(gzopen(path.c_str(), "rb"));
  if (!f) fail(path, "cannot open");
  return f;
}

// Reads exactly n bytes or throws, naming the part being read.
void read_exact(gzFile f, const std::string& path, void* dst, std::size_t n, const char* part) {
  auto* out = static_cast<unsigned char*>(dst);
  while (n > 0) {
    const unsigned chunk = n > (1u << 30) ? (1u << 30) : static_cast<unsigned>(n);
    const int got = gzread(f, out, chunk);
    if (got < 0) {
      int errnum = 0;
      fail(path, std::string("read error in ") + part + ": " + gzerror(f, &errnum));
    }
    if (got == 0) fail(path, std::string("truncated ") + part);
    out += got;
    n -= static_cast<std::size_t>(got);
  }
}

// Reads exactly n bytes into `out`, growing it as the data arrives: memory
// follows the bytes really in the file, not what a (possibly hostile or
// truncated) header claims.
void read_growing(gzFile f, const std::string& path, std::vector<std::uint8_t>& out, std::size_t n,
                  const char* part) {
  constexpr std::size_t kStep = std::size_t{1} << 20;
  out.clear();
  while (out.size() < n) {
    const std::size_t at = out.size();
    const std::size_t chunk = std::min(kStep, n - at);
    out.resize(at + chunk);
    read_exact(f, path, out.data() + at, chunk, part);
  }
}

std::uint32_t read_be32(gzFile f, const std::string& path, const char* part) {
  unsigned char b[4];
  read_exact(f, path, b, sizeof b, part);
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
         std::uint32_t{b[3]};
}

// `kind` says what the file should have been ("an IDX3 images file").
void check_magic(std::uint32_t magic, std::uint32_t expected, const char* kind,
                 const std::string& path) {
  if (magic == expected) return;
  char buf[128];
  std::snprintf(buf, sizeof buf, "not %s: bad magic 0x%08x, expected 0x%08x", kind,
                static_cast<unsigned>(magic), static_cast<unsigned>(expected));
  fail(path, buf);
}

std::uint32_t read_dim(gzFile f, const std::string& path, const char* name) {
  const std::uint32_t d = read_be32(f, path, "header");
  if (d > kMaxDim) fail(path, std::string("implausible ") + name + " " + std::to_string(d));
  return d;
}

void expect_end(gzFile f, const std::string& path) {
  unsigned char extra;
  if (gzread(f, &extra, 1) != 0) fail(path, "trailing bytes after the data");
}

}  // namespace

IdxImages read_idx_images(const std::string& path, std::size_t max_images) {
  GzFile f = open(path);
  check_magic(read_be32(f.get(), path, "header"), kIdxImagesMagic, "an IDX3 images file", path);
  IdxImages out;
  out.count = read_dim(f.get(), path, "image count");
  out.rows = read_dim(f.get(), path, "row count");
  out.cols = read_dim(f.get(), path, "column count");
  if (out.rows == 0 || out.cols == 0) fail(path, "empty image size");
  const bool keeps_all = max_images == 0 || out.count <= max_images;
  if (!keeps_all) out.count = max_images;
  // Each factor is below 2^24: divide rather than multiply all three, which could wrap.
  if (out.count > kMaxBytes / out.image_size()) fail(path, "image data larger than 4 GiB");
  const std::size_t bytes = out.count * out.image_size();
  read_growing(f.get(), path, out.pixels, bytes, "image data");
  if (keeps_all) expect_end(f.get(), path);
  return out;
}

IdxLabels read_idx_labels(const std::string& path) {
  GzFile f = open(path);
  check_magic(read_be32(f.get(), path, "header"), kIdxLabelsMagic, "an IDX1 labels file", path);
  IdxLabels out;
  const std::uint32_t count = read_dim(f.get(), path, "label count");
  read_growing(f.get(), path, out.labels, count, "label data");
  expect_end(f.get(), path);
  return out;
}

std::string idx_header(std::uint32_t magic, const std::vector<std::uint32_t>& dims) {
  std::string out;
  out.reserve(4 * (1 + dims.size()));
  std::vector<std::uint32_t> words{magic};
  words.insert(words.end(), dims.begin(), dims.end());
  for (const std::uint32_t v : words)
    for (int shift = 24; shift >= 0; shift -= 8)
      out.push_back(static_cast<char>((v >> shift) & 0xff));
  return out;
}

}  // namespace driftwatch::common
