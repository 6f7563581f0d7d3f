#include "shared/common/blas_kernels_env.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace {

std::string run_probe(const std::string& env) {
  const std::string cmd =
      "env -u OPENBLAS_CORETYPE -u DRIFTWATCH_KEEP_BLAS_KERNELS " + env + " " + BLAS_ENV_PROBE;
  FILE* p = ::popen(cmd.c_str(), "r");
  char buf[128] = {0};
  if (p == nullptr || std::fgets(buf, sizeof(buf), p) == nullptr) return "<no output>";
  ::pclose(p);
  std::string s(buf);
  if (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

std::string expected_core() {
  const char* core = driftwatch::best_blas_core_type();
  return core ? core : "(unset)";
}

std::string core_for(const driftwatch::CpuFeatures& cpu) {
  const char* core = driftwatch::blas_core_type_for(cpu);
  return core ? core : "(none)";
}

TEST(BlasKernelsEnv, AsksForEveryInstructionSetTheKernelsAreBuiltFor) {
  driftwatch::CpuFeatures skylake_x{true, true, true, true, true, true};
  EXPECT_EQ(core_for(skylake_x), "SkylakeX");
  driftwatch::CpuFeatures xeon_phi = skylake_x;  // AVX-512 F only, no BW/DQ/VL
  xeon_phi.avx512bw = xeon_phi.avx512dq = xeon_phi.avx512vl = false;
  EXPECT_EQ(core_for(xeon_phi), "Haswell");
  driftwatch::CpuFeatures haswell{};
  haswell.avx2 = haswell.fma = true;
  EXPECT_EQ(core_for(haswell), "Haswell");
  driftwatch::CpuFeatures avx2_only{};
  avx2_only.avx2 = true;
  EXPECT_EQ(core_for(avx2_only), "(none)");
  EXPECT_EQ(core_for(driftwatch::CpuFeatures{}), "(none)");
}

TEST(BlasKernelsEnv, SelectsKernelsForThisCpuWhenUnset) {
  EXPECT_EQ(run_probe(""), expected_core());
}

TEST(BlasKernelsEnv, KeepsAValueFromTheEnvironment) {
  EXPECT_EQ(run_probe("OPENBLAS_CORETYPE=Prescott"), "Prescott");
}

TEST(BlasKernelsEnv, CanBeTurnedOff) {
  EXPECT_EQ(run_probe("DRIFTWATCH_KEEP_BLAS_KERNELS=1"), "(unset)");
}

}  // namespace
