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
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")) {
    return "SkylakeX";
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
  return "(unset)";
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
