#include "exporter/drift/blas_kernels.h"

#include <cblas.h>

#include <cstring>

#include "shared/common/blas_kernels_env.h"

namespace driftwatch::drift {

void set_blas_threads(int threads) { openblas_set_num_threads(threads); }

std::string blas_core_name() {
  const char* name = openblas_get_corename();
  return name ? name : "unknown";
}

std::optional<std::string> blas_kernel_warning() {
  // The same rule as the start-up re-exec, so the warning never names
  // kernels that the re-exec would not pick.
  const char* suggestion = best_blas_core_type();
  if (suggestion == nullptr) return std::nullopt;
  const std::string core = blas_core_name();
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
