#include "shared/common/blas_kernels_env.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace driftwatch {

CpuFeatures this_cpu_features() {
  __builtin_cpu_init();
  CpuFeatures cpu;
  cpu.avx512f = __builtin_cpu_supports("avx512f");
  cpu.avx512bw = __builtin_cpu_supports("avx512bw");
  cpu.avx512dq = __builtin_cpu_supports("avx512dq");
  cpu.avx512vl = __builtin_cpu_supports("avx512vl");
  cpu.avx2 = __builtin_cpu_supports("avx2");
  cpu.fma = __builtin_cpu_supports("fma");
  return cpu;
}

const char* blas_core_type_for(const CpuFeatures& cpu) {
  if (cpu.avx512f && cpu.avx512bw && cpu.avx512dq && cpu.avx512vl) return "SkylakeX";
  if (cpu.avx2 && cpu.fma) return "Haswell";
  return nullptr;
}

const char* best_blas_core_type() { return blas_core_type_for(this_cpu_features()); }

void select_blas_kernels_or_reexec(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return;
  if (const char* keep = std::getenv("DRIFTWATCH_KEEP_BLAS_KERNELS"); keep && *keep == '1') return;
  const char* core = best_blas_core_type();
  if (core == nullptr) return;
  ::setenv("OPENBLAS_CORETYPE", core, 1);
  ::execv("/proc/self/exe", argv);
  std::fprintf(stderr, "warning: could not re-exec to select OpenBLAS %s kernels\n", core);
}

}  // namespace driftwatch
