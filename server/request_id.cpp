#include "server/request_id.h"

namespace driftwatch::server {
namespace {

constexpr std::size_t kMaxHexDigits = 16;  // a u64

void append_hex(std::string& out, std::uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  char buf[kMaxHexDigits];
  std::size_t n = 0;
  do {
    buf[n++] = kDigits[v & 0xf];
    v >>= 4;
  } while (v != 0);
  while (n > 0) out += buf[--n];
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A non-zero u64 from 1..16 hex digits.
std::optional<std::uint64_t> parse_hex(std::string_view s) {
  if (s.empty() || s.size() > kMaxHexDigits) return std::nullopt;
  std::uint64_t v = 0;
  for (const char c : s) {
    const int d = hex_value(c);
    if (d < 0) return std::nullopt;
    v = (v << 4) | static_cast<std::uint64_t>(d);
  }
  if (v == 0) return std::nullopt;
  return v;
}

}  // namespace

void append_request_id(std::string& out, PredictionKey key) {
  append_hex(out, key.generation);
  out += '-';
  append_hex(out, key.request_id);
}

std::string format_request_id(PredictionKey key) {
  std::string out;
  append_request_id(out, key);
  return out;
}

std::optional<PredictionKey> parse_request_id(std::string_view text) {
  const auto dash = text.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const auto generation = parse_hex(text.substr(0, dash));
  const auto request_id = parse_hex(text.substr(dash + 1));
  if (!generation || !request_id) return std::nullopt;
  return PredictionKey{*generation, *request_id};
}

}  // namespace driftwatch::server
