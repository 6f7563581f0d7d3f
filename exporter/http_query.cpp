#include "exporter/http_query.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace driftwatch::exporter {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
               hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];  // a stray '%' stays as it is
    }
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The media ranges or codings of a comma-separated header, each without its
// parameters, and whether its q is non-zero.
std::vector<std::pair<std::string, bool>> header_items(std::string_view header) {
  std::vector<std::pair<std::string, bool>> items;
  const std::string h = lower(header);
  std::size_t pos = 0;
  while (pos <= h.size()) {
    const std::size_t comma = std::min(h.find(',', pos), h.size());
    std::string_view item(h.data() + pos, comma - pos);
    const std::size_t semi = item.find(';');
    std::string_view name = item.substr(0, semi);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    bool allowed = true;
    if (semi != std::string_view::npos) {
      const std::size_t q = item.find("q=", semi);
      if (q != std::string_view::npos) {
        const std::string_view v = item.substr(q + 2);
        allowed = !(v.substr(0, 1) == "0" && v.find_first_of("123456789") == std::string::npos);
      }
    }
    if (!name.empty()) items.emplace_back(std::string(name), allowed);
    pos = comma + 1;
  }
  return items;
}

}  // namespace

std::optional<std::string> RequestTarget::param(std::string_view name) const {
  for (const auto& [k, v] : params) {
    if (k == name) return v;
  }
  return std::nullopt;
}

RequestTarget parse_target(std::string_view target) {
  RequestTarget t;
  const std::size_t q = target.find('?');
  t.path = std::string(target.substr(0, q));
  if (q == std::string_view::npos) return t;
  std::string_view query = target.substr(q + 1);
  query = query.substr(0, query.find('#'));
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    if (!pair.empty()) {
      const std::size_t eq = pair.find('=');
      t.params.emplace_back(
          percent_decode(pair.substr(0, eq)),
          eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1)));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return t;
}

std::optional<Representation> choose_representation(const RequestTarget& target,
                                                    std::string_view accept,
                                                    Representation fallback) {
  if (const auto format = target.param("format")) {
    if (*format == "html") return Representation::kHtml;
    if (*format == "json") return Representation::kJson;
    return std::nullopt;
  }
  for (const auto& [type, allowed] : header_items(accept)) {
    if (!allowed) continue;
    if (type == "text/html") return Representation::kHtml;
    if (type == "application/json") return Representation::kJson;
  }
  return fallback;
}

bool accepts_gzip(std::string_view accept_encoding) {
  for (const auto& [coding, allowed] : header_items(accept_encoding)) {
    if (coding == "gzip" && allowed) return true;
  }
  return false;
}

std::string gzip(std::string_view data) {
  z_stream zs{};
  // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&zs, 3, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2 failed");
  }
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  const std::size_t written = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate did not finish");
  out.resize(written);
  return out;
}

}  // namespace driftwatch::exporter
