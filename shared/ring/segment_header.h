// Reading and checking a mapped segment's header. Internal to the ring library.
#pragma once

#include <string>

#include "shared/ring/ring_mapping.h"
#include "shared/ring/segment_info.h"

namespace driftwatch::ring {

// Checks magic, version and that every offset the header names lies inside
// the mapping; returns what the header says. Throws RingError naming `path`
// and the problem.
SegmentInfo read_segment_header(const RingMapping& mapping, const std::string& path);

}  // namespace driftwatch::ring
