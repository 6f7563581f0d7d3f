// Small helpers for writing JSON answers by hand (the answers are tiny and
// fixed in shape; a DOM would only add allocations).
#pragma once

#include <string>
#include <string_view>

namespace driftwatch::server {

// Appends `s` as a quoted JSON string.
void append_json_string(std::string& out, std::string_view s);

// Appends a float/double in the shortest form that reads back exactly.
void append_json_number(std::string& out, double v);
void append_json_number(std::string& out, float v);  // shortest float form

// {"error": code, "detail": detail}
std::string json_error(std::string_view code, std::string_view detail);

}  // namespace driftwatch::server
