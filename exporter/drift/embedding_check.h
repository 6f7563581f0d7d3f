// What may enter the drift detector. One NaN in one embedding would poison
// the detector's running kernel sums until the next re-anchoring (measured:
// 3,995 steps of NaN statistics with is_drift false, i.e. detection silently
// off), and a huge finite value overflows the float kernel products into
// inf - inf = NaN. Such rows are refused at the door and counted; reference
// sets holding one are refused at load, naming the row.
#pragma once

#include <cstddef>
#include <optional>

namespace driftwatch::drift {

enum class EmbeddingProblem {
  kNone,
  kNonFinite,  // a NaN or an infinity
  kTooLarge,   // squared norm above kMaxSquaredNorm: the kernel would overflow
};

// |x|^2 bound: products of two such rows stay far below FLT_MAX (3.4e38).
inline constexpr double kMaxSquaredNorm = 1e30;

EmbeddingProblem check_embedding(const float* x, std::size_t dim);

// "non_finite" / "too_large": the reason label of the rejection counter.
const char* embedding_problem_label(EmbeddingProblem problem);

// The first row of a [rows, dim] matrix that check_embedding() refuses.
std::optional<std::size_t> first_bad_row(const float* rows, std::size_t n, std::size_t dim);

}  // namespace driftwatch::drift
