#include "server/feedback_auth.h"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace driftwatch::server {
namespace {

constexpr std::string_view kScheme = "bearer ";

bool starts_with_scheme(std::string_view header) {
  if (header.size() < kScheme.size()) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return false;
  }
  return true;
}

// Equal contents, in a time that depends only on expected.size(): every byte
// of `expected` is compared whatever `given` holds.
bool constant_time_equal(std::string_view given, std::string_view expected) {
  unsigned diff = given.size() == expected.size() ? 0u : 1u;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const unsigned char g = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    diff |= g ^ static_cast<unsigned char>(expected[i]);
  }
  return diff == 0;
}

}  // namespace

FeedbackAuth FeedbackAuth::from_token_file(const std::string& path) {
  const std::string what = "--feedback-token-file " + path + ": ";
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw std::runtime_error(what + "is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(what + "cannot open for reading");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) throw std::runtime_error(what + "read failed");
  std::string token = bytes.str();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  if (token.empty()) throw std::runtime_error(what + "the file is empty; put the token in it");
  for (const char c : token) {
    if (c <= ' ' || c > '~')
      throw std::runtime_error(what + "the token must be one line of visible ASCII without spaces");
  }
  return FeedbackAuth(std::move(token));
}

bool FeedbackAuth::admits(std::string_view authorization) const {
  if (!required()) return true;
  if (!starts_with_scheme(authorization)) return false;
  return constant_time_equal(authorization.substr(kScheme.size()), token_);
}

}  // namespace driftwatch::server
