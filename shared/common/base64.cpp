#include "shared/common/base64.h"

#include <array>
#include <cstdint>

namespace driftwatch::common {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::uint8_t kInvalid = 0xFF;
constexpr std::uint8_t kSkip = 0xFE;  // CR, LF

constexpr std::array<std::uint8_t, 256> make_table() {
  std::array<std::uint8_t, 256> t{};
  for (auto& v : t) v = kInvalid;
  for (int i = 0; i < 64; ++i)
    t[static_cast<std::uint8_t>(kAlphabet[i])] = static_cast<std::uint8_t>(i);
  t['\r'] = kSkip;
  t['\n'] = kSkip;
  return t;
}
constexpr std::array<std::uint8_t, 256> kTable = make_table();

}  // namespace

bool base64_decode(std::string_view in, std::string& out) {
  out.clear();
  // Accept a data URL as browsers' FileReader.readAsDataURL produce it.
  if (in.substr(0, 5) == "data:") {
    const auto comma = in.find(',');
    if (comma == std::string_view::npos ||
        in.substr(0, comma).find(";base64") == std::string_view::npos)
      return false;
    in.remove_prefix(comma + 1);
  }
  out.reserve(in.size() / 4 * 3);
  std::uint32_t quad = 0;
  int filled = 0;   // sextets in `quad`
  int padding = 0;  // '=' seen
  for (const char ch : in) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '=') {
      // Padding only at the end of a quad, after at least two symbols.
      if (filled + padding < 2) return false;
      ++padding;
      if (filled + padding > 4) return false;
      continue;
    }
    const std::uint8_t v = kTable[c];
    if (v == kSkip) continue;
    if (v == kInvalid || padding > 0) return false;  // nothing may follow '='
    quad = (quad << 6) | v;
    if (++filled == 4) {
      out.push_back(static_cast<char>(quad >> 16));
      out.push_back(static_cast<char>((quad >> 8) & 0xFF));
      out.push_back(static_cast<char>(quad & 0xFF));
      quad = 0;
      filled = 0;
    }
  }
  if (filled == 0) return padding == 0;
  // A partial quad must be padded to four symbols.
  if (filled + padding != 4) return false;
  if (filled == 2) {
    if (quad & 0xF) return false;  // non-canonical trailing bits
    out.push_back(static_cast<char>(quad >> 4));
  } else if (filled == 3) {
    if (quad & 0x3) return false;
    out.push_back(static_cast<char>(quad >> 10));
    out.push_back(static_cast<char>((quad >> 2) & 0xFF));
  } else {
    return false;
  }
  return true;
}

std::string base64_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const std::uint32_t v = (static_cast<std::uint8_t>(in[i]) << 16) |
                            (static_cast<std::uint8_t>(in[i + 1]) << 8) |
                            static_cast<std::uint8_t>(in[i + 2]);
    out.push_back(kAlphabet[v >> 18]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  const std::size_t rest = in.size() - i;
  if (rest > 0) {
    std::uint32_t v = static_cast<std::uint8_t>(in[i]) << 16;
    if (rest == 2) v |= static_cast<std::uint8_t>(in[i + 1]) << 8;
    out.push_back(kAlphabet[v >> 18]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(rest == 2 ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

}  // namespace driftwatch::common
