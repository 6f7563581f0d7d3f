#pragma once

#include <cstdint>

namespace driftwatch::loadgen {

// What FeedbackSender counted: every picked label ends as sent (then
// accepted or failed) or unsent, so picked == accepted + failed + unsent once
// the run is over.
struct FeedbackTotals {
  std::uint64_t picked = 0;    // answers whose label was queued
  std::uint64_t sent = 0;      // labels in requests that went out
  std::uint64_t accepted = 0;  // labels the server accepted (202 "accepted")
  std::uint64_t failed = 0;    // labels in requests refused or without an answer
  std::uint64_t unsent = 0;    // still queued when the run was stopped
  std::uint64_t requests = 0;  // POST /feedback requests
};

}  // namespace driftwatch::loadgen
