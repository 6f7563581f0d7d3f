#include "server/feedback_auth.h"

#include <cctype>
#include <stdexcept>

#include "shared/common/token_file.h"

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
  try {
    return FeedbackAuth(common::read_token_file(path));
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string("--feedback-token-file ") + e.what());
  }
}

bool FeedbackAuth::admits(std::string_view authorization) const {
  if (!required()) return true;
  if (!starts_with_scheme(authorization)) return false;
  return constant_time_equal(authorization.substr(kScheme.size()), token_);
}

}  // namespace driftwatch::server
