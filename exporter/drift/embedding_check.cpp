#include "exporter/drift/embedding_check.h"

#include <cmath>

namespace driftwatch::drift {

EmbeddingProblem check_embedding(const float* x, std::size_t dim) {
  double norm = 0.0;
  for (std::size_t i = 0; i < dim; ++i) {
    if (!std::isfinite(x[i])) return EmbeddingProblem::kNonFinite;
    norm += static_cast<double>(x[i]) * static_cast<double>(x[i]);
  }
  return norm > kMaxSquaredNorm ? EmbeddingProblem::kTooLarge : EmbeddingProblem::kNone;
}

const char* embedding_problem_label(EmbeddingProblem problem) {
  switch (problem) {
    case EmbeddingProblem::kNone:
      return "none";
    case EmbeddingProblem::kNonFinite:
      return "non_finite";
    case EmbeddingProblem::kTooLarge:
      return "too_large";
  }
  return "unknown";
}

std::optional<std::size_t> first_bad_row(const float* rows, std::size_t n, std::size_t dim) {
  for (std::size_t r = 0; r < n; ++r) {
    if (check_embedding(rows + r * dim, dim) != EmbeddingProblem::kNone) return r;
  }
  return std::nullopt;
}

}  // namespace driftwatch::drift
