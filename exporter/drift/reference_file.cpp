#include "exporter/drift/reference_file.h"

#include <cstddef>
#include <vector>

#include "exporter/drift/embedding_check.h"

namespace driftwatch::drift {
namespace {

std::string shape_text(const std::vector<std::size_t>& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

}  // namespace

common::Matrix read_reference_file(const std::string& path) {
  common::NpyArray array;
  try {
    array = common::read_npy(path);
  } catch (const common::NpyError& e) {
    throw ReferenceFileError(std::string("reference: ") + e.what());
  }
  if (array.dtype != common::NpyDtype::kFloat32) {
    throw ReferenceFileError("reference " + path + " has dtype " + common::npy_descr(array.dtype) +
                             "; expected float32 ('<f4') embeddings, e.g. "
                             "numpy.save(path, x.astype(numpy.float32))");
  }
  if (array.shape.size() != 2 || array.shape[1] == 0) {
    throw ReferenceFileError("reference " + path + " has shape " + shape_text(array.shape) +
                             "; expected a 2-D array [N, D] of N embeddings");
  }
  common::Matrix m;
  m.rows = array.shape[0];
  m.cols = array.shape[1];
  m.values = array.to_float32();
  if (const auto bad = first_bad_row(m.values.data(), m.rows, m.cols)) {
    throw ReferenceFileError("reference " + path + ": row " + std::to_string(*bad) +
                             " holds a NaN, an infinity or a value too large for the kernel; "
                             "a reference must be finite embeddings");
  }
  return m;
}

}  // namespace driftwatch::drift
