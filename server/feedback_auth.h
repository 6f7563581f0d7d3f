// Who may post labels to /feedback: anyone (the default), or, with
// --feedback-token-file, only requests carrying "Authorization: Bearer
// <token>". Labels move the accuracy metrics, so a deployment that exposes the
// server beyond its own clients should set a token.
//
// The comparison takes the same time whatever the request sends (it depends
// only on the token's length), and the token is never logged or echoed.
//
// Thread contract: immutable after construction; admits() from any thread.
#pragma once

#include <string>
#include <string_view>

namespace driftwatch::server {

class FeedbackAuth {
 public:
  // No token: every request is admitted.
  FeedbackAuth() = default;
  // The token of common::read_token_file(); its std::runtime_error (naming
  // the file, never the token) is rethrown prefixed with the flag's name.
  static FeedbackAuth from_token_file(const std::string& path);

  bool required() const { return !token_.empty(); }
  // True when no token is required, or `authorization` (the header's value)
  // is "Bearer <token>" (the scheme in any case, RFC 7235).
  bool admits(std::string_view authorization) const;

 private:
  explicit FeedbackAuth(std::string token) : token_(std::move(token)) {}
  std::string token_;
};

}  // namespace driftwatch::server
