// Reading and writing numpy .npy files (format versions 1.0, 2.0 and 3.0).
//
// Only what the drift detector exchanges with Python is accepted: little-endian
// float32 (`<f4`), float64 (`<f8`) and int64 (`<i8`) arrays in C order. Any
// other dtype, Fortran order, a malformed header or a size that does not match
// the shape is rejected with an NpyError naming the file and the problem, so a
// user who brings their own reference sees what to fix.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace driftwatch::common {

class NpyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class NpyDtype { kFloat32, kFloat64, kInt64 };

// The numpy descr string ("<f4", "<f8", "<i8") and the element size.
const char* npy_descr(NpyDtype dtype);
std::size_t npy_item_size(NpyDtype dtype);

// A decoded array: shape plus raw little-endian element bytes in C order.
struct NpyArray {
  NpyDtype dtype = NpyDtype::kFloat32;
  std::vector<std::size_t> shape;  // empty shape: a scalar (one element)
  std::vector<unsigned char> data;

  std::size_t element_count() const;

  // Element-wise conversions; to_int64 refuses float arrays because index
  // arrays must never be silently truncated.
  std::vector<float> to_float32() const;
  std::vector<double> to_float64() const;
  std::vector<std::int64_t> to_int64() const;

  static NpyArray from_float32(std::vector<std::size_t> shape, const std::vector<float>& values);
  static NpyArray from_float64(std::vector<std::size_t> shape, const std::vector<double>& values);
  static NpyArray from_int64(std::vector<std::size_t> shape,
                             const std::vector<std::int64_t>& values);
};

// `origin` names the source in error messages (usually the path).
NpyArray parse_npy(std::string_view bytes, const std::string& origin);
NpyArray read_npy(const std::string& path);

std::string serialize_npy(const NpyArray& array);
// Writes to `path` + ".tmp" and renames, so a reader never sees half a file.
void write_npy(const std::string& path, const NpyArray& array);

// A 2-D float32 matrix [rows, cols], the shape every embedding file has.
struct Matrix {
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::vector<float> values;  // row-major

  const float* row(std::size_t i) const { return values.data() + i * cols; }
};

// Reads a 2-D float array (float64 is narrowed to float32) and checks its shape.
Matrix read_npy_matrix(const std::string& path);

}  // namespace driftwatch::common
