// What the drift stage is configured with (ExporterConfig builds it from the
// flags), and the error a reference that cannot be used is reported with.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

#include "exporter/drift/mmd_params.h"
#include "exporter/drift/sustained_drift.h"

namespace driftwatch::exporter {

// A reference that cannot be used (unreadable .npy, wrong dtype or shape,
// bad "warmup:N", parameters that cannot work with it). Fatal at start.
class DriftConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct DriftStageOptions {
  // "" (drift off), the path of a float32 .npy [N, D], or "warmup:N".
  std::string reference;
  // drift::detector_names(): "mmd" (alibi-exact) or "mmd-multi".
  std::string detector = "mmd";
  drift::MmdParams params;
  // Thresholds cache file ("" : calibrate at every start).
  std::string cache_path;
  // Steps kept for /drift (5000: minutes of traffic, ~160 KB of memory).
  std::size_t history = 5000;
  // Embeddings per step_batch() call (one sgemm each).
  std::size_t batch = 64;
  // The sustained-drift layer: share window and hysteresis.
  drift::SustainedDriftOptions sustained;
  // With "warmup:N": where the learned reference is saved and reloaded from
  // ("" : learn again at every start).
  std::string reference_save;
};

}  // namespace driftwatch::exporter
