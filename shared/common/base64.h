// Strict base64 (RFC 4648, standard alphabet, '=' padding). Line breaks
// (CR, LF) are skipped so MIME-wrapped payloads work; any other character,
// a wrong length or misplaced padding makes the input invalid.
#pragma once

#include <string>
#include <string_view>

namespace driftwatch::common {

// Decodes `in` into `out` (replacing its contents). Returns false, leaving
// `out` unspecified, when `in` is not valid base64. An optional data-URL
// prefix ("data:image/png;base64,") is accepted and skipped.
bool base64_decode(std::string_view in, std::string& out);

// Standard alphabet with '=' padding and no line breaks: what /predict expects
// inside {"image": "..."}.
std::string base64_encode(std::string_view in);

}  // namespace driftwatch::common
