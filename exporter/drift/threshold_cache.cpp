#include "exporter/drift/threshold_cache.h"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include "exporter/drift/fnv1a.h"

namespace driftwatch::drift {
namespace {

constexpr const char* kHeader = "driftwatch-mmd-thresholds 1";
// Largest window the parser accepts: guards against absurd counts in a corrupt file.
constexpr std::size_t kMaxValues = 1u << 20;

std::string hex64(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016" PRIx64, v);
  return buf;
}

// The body: everything but the trailing checksum line.
std::string format_body(std::uint64_t key, const CachedCalibration& c) {
  std::ostringstream out;
  char buf[64];
  out << kHeader << "\n";
  out << "key " << hex64(key) << "\n";
  out << "sigmas " << c.sigmas.size();
  for (float s : c.sigmas) {
    // The float widened to double, written with %.17g: reading it back as a
    // double and narrowing gives the same float, with no double rounding.
    std::snprintf(buf, sizeof(buf), " %.17g", static_cast<double>(s));
    out << buf;
  }
  out << "\nthresholds " << c.thresholds.size();
  for (double t : c.thresholds) {
    // %.17g round-trips a double exactly.
    std::snprintf(buf, sizeof(buf), " %.17g", t);
    out << buf;
  }
  out << "\n";
  if (!c.standardization.empty()) {
    out << "standardization " << c.standardization.size();
    for (double v : c.standardization) {
      std::snprintf(buf, sizeof(buf), " %.17g", v);
      out << buf;
    }
    out << "\n";
  }
  return out.str();
}

std::uint64_t checksum(const std::string& body) {
  return Fnv1a64().add_bytes(body.data(), body.size()).value();
}

template <typename T>
bool read_values(std::istringstream& in, const char* name, std::vector<T>& out) {
  std::string word;
  std::size_t count = 0;
  if (!(in >> word) || word != name || !(in >> count) || count > kMaxValues) return false;
  out.resize(count);
  for (auto& v : out) {
    double d = 0.0;
    if (!(in >> d)) return false;
    v = static_cast<T>(d);
  }
  return true;
}

}  // namespace

std::uint64_t calibration_key(const float* reference, std::size_t rows, std::size_t cols,
                              const MmdParams& params, std::uint64_t permutation_fingerprint) {
  Fnv1a64 h;
  h.add(std::string_view(kHeader));
  h.add(static_cast<std::uint64_t>(rows)).add(static_cast<std::uint64_t>(cols));
  h.add_bytes(reference, rows * cols * sizeof(float));
  h.add(static_cast<std::uint64_t>(params.window_size));
  h.add(params.ert);
  h.add(static_cast<std::uint64_t>(params.n_bootstraps));
  h.add(static_cast<std::uint64_t>(params.sigmas.size()));
  for (float s : params.sigmas) h.add(s);
  h.add(params.seed);
  h.add(permutation_fingerprint);
  return h.value();
}

std::uint64_t detector_calibration_key(const float* reference, std::size_t rows, std::size_t cols,
                                       const MmdParams& params,
                                       std::uint64_t permutation_fingerprint,
                                       const std::string& detector,
                                       const std::vector<std::size_t>& windows) {
  Fnv1a64 h;
  h.add(calibration_key(reference, rows, cols, params, permutation_fingerprint));
  h.add(std::string_view(detector));
  h.add(static_cast<std::uint64_t>(windows.size()));
  for (std::size_t w : windows) h.add(static_cast<std::uint64_t>(w));
  return h.value();
}

std::optional<CachedCalibration> ThresholdCache::load(std::uint64_t key) const {
  std::ifstream file(path_, std::ios::binary);
  if (!file) return std::nullopt;  // no cache yet: an ordinary miss
  const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());

  const std::size_t checksum_at = text.rfind("checksum ");
  if (checksum_at == std::string::npos || text.compare(0, std::strlen(kHeader), kHeader) != 0) {
    spdlog::warn("thresholds cache {}: not a thresholds cache file; recalibrating", path_);
    return std::nullopt;
  }
  const std::string body = text.substr(0, checksum_at);
  if (text.substr(checksum_at) != "checksum " + hex64(checksum(body)) + "\n") {
    spdlog::warn("thresholds cache {}: checksum mismatch (corrupt file); recalibrating", path_);
    return std::nullopt;
  }
  std::istringstream in(body.substr(std::strlen(kHeader)));
  std::string word;
  std::string key_hex;
  CachedCalibration c;
  if (!(in >> word >> key_hex) || word != "key" || !read_values(in, "sigmas", c.sigmas) ||
      !read_values(in, "thresholds", c.thresholds) ||
      (in >> std::ws, !in.eof() && !read_values(in, "standardization", c.standardization))) {
    spdlog::warn("thresholds cache {}: malformed; recalibrating", path_);
    return std::nullopt;
  }
  if (key_hex != hex64(key)) {
    spdlog::warn("thresholds cache {}: made for other reference data or parameters; recalibrating",
                 path_);
    return std::nullopt;
  }
  return c;
}

bool ThresholdCache::store(std::uint64_t key, const CachedCalibration& calibration) const {
  const std::string body = format_body(key, calibration);
  const std::string text = body + "checksum " + hex64(checksum(body)) + "\n";
  const std::string tmp = path_ + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      const std::string reason = std::strerror(errno);
      out.close();
      std::remove(tmp.c_str());  // a full disk keeps no partial file behind
      spdlog::warn("thresholds cache {}: cannot write ({}); continuing without a cache", path_,
                   reason);
      return false;
    }
  }
  if (std::rename(tmp.c_str(), path_.c_str()) != 0) {
    spdlog::warn("thresholds cache {}: cannot replace ({}); continuing without a cache", path_,
                 std::strerror(errno));
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

}  // namespace driftwatch::drift
