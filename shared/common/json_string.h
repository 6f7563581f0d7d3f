// Writing JSON strings and numbers by hand. Every binary builds its small JSON
// answers and lines directly (they are fixed in shape; a DOM would only add
// allocations); this is the one place that knows JSON's escaping rules and
// that JSON has no NaN or infinity.
// Header-only, so the ring-only build (ringtail) can use it too.
#pragma once

#include <charconv>
#include <cmath>
#include <string>
#include <string_view>
#include <type_traits>

namespace driftwatch::common {

// Appends `s` quoted, escaping '"', '\\' and control characters.
inline void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 15]);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}

// `s` as a quoted JSON string.
inline std::string json_quoted(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  append_json_string(out, s);
  return out;
}

// Appends `v` in the shortest form that reads back exactly as a T (so 0.1f
// prints 0.1, not the 0.10000000149011612 of its double value), or null when
// it is NaN or infinite (JSON has neither; "nan" would break every parser).
template <typename T>
inline void append_json_number(std::string& out, T v) {
  static_assert(std::is_floating_point_v<T>, "integers print exactly with std::to_string");
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

}  // namespace driftwatch::common
