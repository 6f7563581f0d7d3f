// Small helpers for writing JSON answers by hand (the answers are tiny and
// fixed in shape; a DOM would only add allocations).
#pragma once

#include <string>
#include <string_view>

#include "shared/common/json_string.h"

namespace driftwatch::server {

// Appends `s` as a quoted JSON string.
void append_json_string(std::string& out, std::string_view s);

// Numbers: shortest exact form, null when not finite (one rule for every
// binary, in dw_common).
using common::append_json_number;

// {"error": code, "detail": detail}
std::string json_error(std::string_view code, std::string_view detail);

}  // namespace driftwatch::server
