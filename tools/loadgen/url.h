#pragma once

#include <string>

namespace driftwatch::loadgen {

// The one endpoint loadgen talks to. Only plain http: the server speaks no TLS.
struct Url {
  std::string host;    // as written, without IPv6 brackets
  std::string port;    // decimal, "80" when the URL gives none
  std::string target;  // path and query, "/" when the URL gives none
};

// Parses "http://HOST[:PORT][/PATH]". Throws std::invalid_argument with a
// one-line reason on anything else.
Url parse_url(const std::string& text);

// True for "localhost", 127.0.0.0/8 and ::1. Load is only aimed elsewhere
// with --allow-remote, so a typo cannot hammer someone else's server.
bool is_loopback_host(const std::string& host);

}  // namespace driftwatch::loadgen
