#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace driftwatch::loadgen {

// Standard base64 (RFC 4648 alphabet, '=' padding, no line breaks): what the
// server's /predict expects inside {"image": "..."}.
std::string base64_encode(std::string_view bytes);

}  // namespace driftwatch::loadgen
