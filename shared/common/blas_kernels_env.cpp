#include "shared/common/blas_kernels_env.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace driftwatch {
namespace {

const char* best_core_type() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")) {
    return "SkylakeX";
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
  return nullptr;
}

}  // namespace

void select_blas_kernels_or_reexec(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return;
  if (const char* keep = std::getenv("DRIFTWATCH_KEEP_BLAS_KERNELS"); keep && *keep == '1') return;
  const char* core = best_core_type();
  if (core == nullptr) return;
  ::setenv("OPENBLAS_CORETYPE", core, 1);
  ::execv("/proc/self/exe", argv);
  std::fprintf(stderr, "warning: could not re-exec to select OpenBLAS %s kernels\n", core);
}

}  // namespace driftwatch
