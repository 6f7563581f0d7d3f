// infer-server's settings: command-line flags, each also read from the
// environment as DRIFTWATCH_<FLAG> (upper case, '-' -> '_'); flags win.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

#include "shared/common/cli.h"
#include "shared/ring/segment_info.h"

namespace driftwatch::server {

// The largest --max-batch and --batch-delay-us accepted.
constexpr long long kMaxBatch = 1024;
constexpr long long kMaxBatchDelayUs = 1'000'000;

struct ServerOptions {
  std::string model;
  std::string model_config;  // default: the model path with .json
  std::string ring = ring::kDefaultRingName;
  // The ring's size: slots derived from this budget and the slot size (the
  // embedding dimension), unless ring_slots (non-zero) names a count.
  std::uint64_t ring_bytes = 64ull << 20;
  std::uint32_t ring_slots = 0;
  bool no_ring = false;
  std::string listen = "127.0.0.1";
  std::uint16_t port = 8080;
  int io_threads = 1;
  int infer_threads = 0;  // 0: one per core
  int intra_op_threads = 1;
  std::uint32_t max_queue = 256;
  // Dynamic batching (docs/server.md, Batching): up to max_batch queued
  // requests share one forward; the first waits up to batch_delay_us for
  // company. Signed, so that a negative value is refused by name.
  long long max_batch = 1;
  long long batch_delay_us = 0;
  std::string device = "cpu";  // cpu, cuda or cuda:N
  std::uint64_t max_body_bytes = 8ull << 20;
  std::uint64_t max_pixels = 40'000'000;
  std::uint32_t max_header_bytes = 16384;
  std::uint32_t read_timeout_ms = 15000;
  std::uint32_t max_connections = 1024;
  std::uint32_t drain_ms = 5000;  // SIGTERM: /readyz 503 this long, still serving
  std::uint32_t shutdown_grace_ms = 5000;
  int warmup = 8;
  bool no_optimize = false;
  bool jpeg_dct_scaling = false;
  // POST /feedback requires "Authorization: Bearer <the file's token>"; "" = open.
  std::string feedback_token_file;
  std::string log_level = "info";
};

// Parses argv and the environment (common::parse_cli). Prints --help,
// --version or an error to `out`/`err`.
common::CliOutcome parse_server_options(int argc, const char* const argv[], ServerOptions& options,
                                        std::ostream& out, std::ostream& err);

}  // namespace driftwatch::server
