#include "exporter/drift/blas_kernels.h"

#include <cblas.h>

#include <cstring>

namespace driftwatch::drift {

void set_blas_threads(int threads) { openblas_set_num_threads(threads); }

std::string blas_core_name() {
  const char* name = openblas_get_corename();
  return name ? name : "unknown";
}

std::optional<std::string> blas_kernel_warning() {
  const std::string core = blas_core_name();
  const char* suggestion = nullptr;
  if (__builtin_cpu_supports("avx512f")) {
    suggestion = "SkylakeX";
  } else if (__builtin_cpu_supports("avx2")) {
    suggestion = "Haswell";
  } else {
    return std::nullopt;
  }
  // The kernel families that use AVX2 or better.
  for (const char* fast : {"Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids"}) {
    if (core == fast) return std::nullopt;
  }
  return "OpenBLAS runs its " + core + " kernels on a CPU with " +
         (std::strcmp(suggestion, "SkylakeX") == 0 ? "AVX-512" : "AVX2") +
         ": drift steps are 2-4x slower than they could be; set OPENBLAS_CORETYPE=" + suggestion +
         " in the environment";
}

}  // namespace driftwatch::drift
