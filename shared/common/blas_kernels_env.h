// Picks OpenBLAS's compute kernels for this CPU before the library loads.
//
// Debian 12's OpenBLAS (0.3.21) does not recognise recent Xeons and falls
// back to its generic SSE3 ("Prescott") kernels, three to five times slower
// for the matrix products of the drift detector and of LibTorch. OpenBLAS
// reads OPENBLAS_CORETYPE once, while the process loads, so the only way to
// fix it from inside is to set the variable and exec the same binary again,
// first thing in main(). A value already in the environment always wins.
#pragma once

namespace driftwatch {

// The instruction sets the OpenBLAS kernel choice depends on.
struct CpuFeatures {
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512dq = false;
  bool avx512vl = false;
  bool avx2 = false;
  bool fma = false;
};

// This CPU's, as the compiler's runtime reports them (it also checks that the
// OS saves the wider registers).
CpuFeatures this_cpu_features();

// The fastest OpenBLAS kernels `cpu` can run: "SkylakeX", "Haswell", or
// nullptr for none better than OpenBLAS's own pick. The rule asks for every
// instruction set the kernels are built for, not only the first one:
// OpenBLAS builds SkylakeX with -march=skylake-avx512 (AVX-512 F, BW, DQ and
// VL; a Xeon Phi has F without BW/DQ/VL) and Haswell with AVX2 and FMA
// (separate CPUID bits). Naming kernels the CPU lacks an instruction for
// would end the process with SIGILL, so the re-exec below and the drift
// detector's slow-kernel warning both use this one rule.
const char* blas_core_type_for(const CpuFeatures& cpu);

// blas_core_type_for(this_cpu_features()).
const char* best_blas_core_type();

// If OPENBLAS_CORETYPE is unset and best_blas_core_type() names kernels,
// sets it and re-executes /proc/self/exe with the same arguments. Returns
// normally when nothing needs doing or exec failed.
// DRIFTWATCH_KEEP_BLAS_KERNELS=1 turns it off.
void select_blas_kernels_or_reexec(char** argv);

}  // namespace driftwatch
