// Which OpenBLAS kernels this process runs, and a warning when they are
// slower than the CPU allows.
//
// Debian 12's OpenBLAS 0.3.21 does not recognise some recent Xeon models (our
// VMs report a generic "Intel Xeon Processor") and falls back to its Prescott
// (SSE3) kernels, which makes the drift step 2-4x slower. OpenBLAS picks its
// kernels when it loads, so the fix is in the environment of the process:
// OPENBLAS_CORETYPE=SkylakeX on AVX-512 CPUs, Haswell on AVX2+FMA ones.
#pragma once

#include <optional>
#include <string>

namespace driftwatch::drift {

// Threads OpenBLAS may use for the kernel products (it defaults to every
// core). The detector's figures in docs/drift.md are for one thread.
void set_blas_threads(int threads);

// OpenBLAS's name for the kernels in use, e.g. "SkylakeX", "Haswell", "Prescott".
std::string blas_core_name();

// A one-line warning when OpenBLAS runs pre-AVX2 kernels on a CPU that can
// run faster ones (best_blas_core_type() in shared/common/blas_kernels_env.h,
// the rule the start-up re-exec uses), naming the OPENBLAS_CORETYPE value to
// set; nullopt when all is well.
std::optional<std::string> blas_kernel_warning();

}  // namespace driftwatch::drift
