// Prints the OpenBLAS core type this process ends up with.
#include <cstdio>
#include <cstdlib>

#include "shared/common/blas_kernels_env.h"

int main(int, char** argv) {
  driftwatch::select_blas_kernels_or_reexec(argv);
  const char* core = std::getenv("OPENBLAS_CORETYPE");
  std::printf("%s\n", core ? core : "(unset)");
  return 0;
}
