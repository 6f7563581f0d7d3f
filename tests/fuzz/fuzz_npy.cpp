// libFuzzer target: the .npy reader (references, recorded permutations). A
// file either parses and converts or is refused with std::invalid_argument
// or std::runtime_error naming it.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "shared/common/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace driftwatch::common;
  try {
    const NpyArray array =
        parse_npy(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.npy");
    (void)array.to_float64();
    (void)array.to_float32();
    (void)array.to_int64();
  } catch (const std::invalid_argument&) {
  } catch (const std::runtime_error&) {
  }
  return 0;
}
