// The document behind GET / (JSON form; the HTML page draws it): what this
// exporter follows (ring, producer, model), the detector's state and
// parameters, the ring's health, and a link to every page and endpoint.
#pragma once

#include <string>

#include "exporter/drift_status.h"
#include "exporter/ring_status.h"

namespace driftwatch::exporter {

std::string overview_json(const std::string& ring_name, const RingStatus& ring,
                          const DriftStatus& drift);

}  // namespace driftwatch::exporter
