// The request id a /predict answer carries and POST /feedback names:
// "<generation>-<request id>", both in lower-case hex without leading zeros
// (e.g. "640c1e2a3b4c5-2a"). The generation is the ring segment's (a new one on
// every server start, never 1 again after a fresh /dev/shm:
// RingWriter::first_generation), the request id the ring record's; together
// they name one prediction across restarts. With --no-ring the generation is
// the server's start time in microseconds, by the same rule.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace driftwatch::server {

// One prediction: the generation of the segment its record went to and the
// record's request id.
struct PredictionKey {
  std::uint64_t generation = 0;
  std::uint64_t request_id = 0;
};

// Appends "<generation>-<request id>" in hex.
void append_request_id(std::string& out, PredictionKey key);
std::string format_request_id(PredictionKey key);

// The key of a request id string: two runs of 1 to 16 hex digits (either
// case) joined by '-', each non-zero (ids and generations start at 1).
// nullopt for anything else.
std::optional<PredictionKey> parse_request_id(std::string_view text);

}  // namespace driftwatch::server
