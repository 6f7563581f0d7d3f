#include "driftwatch/server/json_util.h"

#include <fmt/format.h>

#include <cmath>

#include "driftwatch/common/json_string.h"

namespace driftwatch::server {

void append_json_string(std::string& out, std::string_view s) {
  common::append_json_string(out, s);
}

void append_json_number(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  fmt::format_to(std::back_inserter(out), "{}", v);
}

void append_json_number(std::string& out, float v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  fmt::format_to(std::back_inserter(out), "{}", v);
}

std::string json_error(std::string_view code, std::string_view detail) {
  std::string out = "{\"error\":";
  append_json_string(out, code);
  out += ",\"detail\":";
  append_json_string(out, detail);
  out += "}";
  return out;
}

}  // namespace driftwatch::server
