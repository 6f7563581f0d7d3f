// The document behind GET / (JSON form; the HTML page draws it): what this
// exporter follows (ring, producer, model), the detector's state and
// parameters, the ring's health, and a link to every page and endpoint.
#pragma once

#include <string>

#include "exporter/drift_monitor.h"
#include "exporter/pipeline.h"

namespace driftwatch::exporter {

// `drift` may be null (no detector configured at all).
std::string overview_json(const std::string& ring_name, const Pipeline& pipeline,
                          const DriftMonitor* drift);

}  // namespace driftwatch::exporter
