// What the listener and every connection share: the limits, the router, the
// record sink and a few counters.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "server/record_sink.h"
#include "server/routes.h"
#include "shared/common/log_limiter.h"

namespace driftwatch::server {

// The HTTP limits; no defaults here, ServerOptions holds them.
struct HttpSettings {
  std::uint64_t max_body_bytes;
  std::uint32_t max_header_bytes;
  std::chrono::milliseconds read_timeout;
  std::uint32_t max_connections;
};

struct HttpContext {
  HttpContext(HttpSettings s, Router& r, RecordSink& k) : settings(s), router(r), sink(k) {}

  const HttpSettings settings;
  Router& router;
  RecordSink& sink;
  // Counters shared by all I/O threads; relaxed: none of them orders other
  // memory, they are read for limits, shutdown and logs.
  std::atomic<std::uint64_t> next_request_id{1};
  std::atomic<std::uint32_t> connections{0};
  std::atomic<std::uint32_t> in_flight{0};  // requests read and not yet answered
  std::atomic<bool> stopping{false};        // replies close their connection
  // 5xx answers are logged at most once a second (a connection storm answered
  // 503, or a model failing every request, would write a line per request).
  common::LogLimiter server_error_log{std::chrono::seconds(1)};
};

}  // namespace driftwatch::server
