// The RingFollower options of the in-process pipeline tests: the ring at
// `path`, retried and checked for a new generation every millisecond so that
// a test never waits on the production intervals.
#pragma once

#include <chrono>
#include <string>

#include "exporter/ring_follower.h"

namespace driftwatch::exporter::testing {

inline RingFollower::Options fast_follower_options(const std::string& path) {
  RingFollower::Options o;
  o.reader.name = path;
  o.retry_interval = std::chrono::milliseconds(1);
  o.reader.generation_check_interval = std::chrono::milliseconds(1);
  return o;
}

}  // namespace driftwatch::exporter::testing
