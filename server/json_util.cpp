#include "server/json_util.h"

#include "shared/common/json_string.h"

namespace driftwatch::server {

void append_json_string(std::string& out, std::string_view s) {
  common::append_json_string(out, s);
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
