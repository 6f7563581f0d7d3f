// libFuzzer target: the model config JSON (docs/model-config.md). Any input
// either parses into a config that passes its own checks or throws
// ModelConfigError; nothing else may happen.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "server/model_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    (void)driftwatch::server::parse_model_config(
        std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const driftwatch::server::ModelConfigError&) {
  }
  return 0;
}
