#include "tools/loadgen/url.h"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <cctype>
#include <stdexcept>

namespace driftwatch::loadgen {

namespace {

constexpr char kScheme[] = "http://";

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

bool all_digits(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(),
                                      [](unsigned char c) { return std::isdigit(c) != 0; });
}

}  // namespace

Url parse_url(const std::string& text) {
  const std::string scheme_part = lower(text.substr(0, sizeof(kScheme) - 1));
  if (scheme_part != kScheme) {
    throw std::invalid_argument("URL must start with http:// (got '" + text + "')");
  }
  const std::string rest = text.substr(sizeof(kScheme) - 1);
  const std::size_t slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  Url url;
  url.target = slash == std::string::npos ? "/" : rest.substr(slash);
  url.port = "80";

  if (!authority.empty() && authority.front() == '[') {
    // Bracketed IPv6 literal, e.g. http://[::1]:8080/predict.
    const std::size_t close = authority.find(']');
    if (close == std::string::npos) throw std::invalid_argument("URL has an unclosed '['");
    url.host = authority.substr(1, close - 1);
    const std::string after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') throw std::invalid_argument("URL has junk after ']'");
      url.port = after.substr(1);
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    url.host = authority.substr(0, colon);
    if (colon != std::string::npos) url.port = authority.substr(colon + 1);
  }
  if (url.host.empty()) throw std::invalid_argument("URL has no host: '" + text + "'");
  if (!all_digits(url.port) || url.port.size() > 5 || std::stoi(url.port) == 0 ||
      std::stoi(url.port) > 65535) {
    throw std::invalid_argument("URL has an invalid port: '" + text + "'");
  }
  return url;
}

bool is_loopback_host(const std::string& host) {
  if (lower(host) == "localhost") return true;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

}  // namespace driftwatch::loadgen
