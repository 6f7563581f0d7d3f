#include "exporter/saved_reference.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "exporter/drift_stage_options.h"
#include "shared/common/npy.h"

namespace driftwatch::exporter {

std::optional<ReferenceRows> load_saved_reference(const std::string& path,
                                                  std::size_t expected_rows) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 && errno == ENOENT) return std::nullopt;
  const std::string fix = "; delete it to learn a new reference from traffic";
  common::NpyArray array;
  try {
    array = common::read_npy(path);
  } catch (const common::NpyError& e) {
    throw DriftConfigError("--reference-save " + path + ": " + e.what() + fix);
  }
  if (array.dtype != common::NpyDtype::kFloat32 || array.shape.size() != 2 || array.shape[1] == 0) {
    throw DriftConfigError("--reference-save " + path + " is not a float32 [N, D] array" + fix);
  }
  if (array.shape[0] != expected_rows) {
    throw DriftConfigError("--reference-save " + path + " holds " + std::to_string(array.shape[0]) +
                           " embeddings but --reference asks "
                           "for warmup:" +
                           std::to_string(expected_rows) + fix);
  }
  ReferenceRows saved;
  saved.count = array.shape[0];
  saved.dim = array.shape[1];
  saved.rows = array.to_float32();
  return saved;
}

void save_reference(const std::string& path, const float* rows, std::size_t count,
                    std::size_t dim) {
  const std::string tmp = path + ".tmp";
  try {
    common::write_npy(tmp, common::NpyArray::from_float32(
                               {count, dim}, std::vector<float>(rows, rows + count * dim)));
  } catch (const std::exception& e) {
    std::remove(tmp.c_str());
    throw std::runtime_error("cannot write " + tmp + ": " + e.what());
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    std::remove(tmp.c_str());
    throw std::runtime_error("cannot rename " + tmp + " to " + path + ": " + reason);
  }
}

}  // namespace driftwatch::exporter
