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

// If OPENBLAS_CORETYPE is unset and the CPU has AVX-512 (SkylakeX kernels) or
// AVX2+FMA (Haswell kernels), sets it and re-executes /proc/self/exe with the
// same arguments. Returns normally when nothing needs doing or exec failed.
// DRIFTWATCH_KEEP_BLAS_KERNELS=1 turns it off.
void select_blas_kernels_or_reexec(char** argv);

}  // namespace driftwatch
