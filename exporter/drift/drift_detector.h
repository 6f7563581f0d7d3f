// The interface the exporter's drift stage, mmd-replay and the benches step
// through, so the detector is a choice (--detector) rather than a special case:
//
//   mmd        OnlineMmd (online_mmd.h): alibi-detect's MMDDriftOnline, exact.
//   mmd-multi  MultiWindowMmd (multi_window_mmd.h): several windows at once,
//              calibrated jointly for the same ERT.
//
// Every detector returns an MmdStep per embedding: a statistic, the threshold
// it is compared with, and is_drift = statistic > threshold, with the same
// false-step rate 1/ert, so metrics, rules and the sustained-drift layer read
// the same for all of them.
//
// Detectors are pure maths: no files, no logging. Their thresholds come from
// a bootstrap over the reference at construction, or from a Calibration made
// earlier (calibrate_or_load.h reads and writes the thresholds cache).
//
// Thread contract: as the implementations: not thread-safe, one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "exporter/drift/mmd_params.h"
#include "exporter/drift/mmd_step.h"

namespace driftwatch::drift {

struct OnlineMmdOptions;

// What a bootstrap calibration produced, enough to build the same detector
// again without one (the thresholds cache stores it).
struct Calibration {
  std::vector<float> sigmas;       // bandwidths as given to RbfKernel (before exp(log))
  std::vector<double> thresholds;  // one per time offset
  // Detectors other than mmd: their per-window standardization (mean, then
  // scale, per window). Empty for mmd.
  std::vector<double> standardization;
};

class DriftDetector {
 public:
  virtual ~DriftDetector() = default;

  // The --detector name, e.g. "mmd".
  virtual const char* name() const = 0;
  // Adds one embedding of dim() floats and returns the decision.
  virtual MmdStep step(const float* x) = 0;
  // Adds n embeddings ([n, dim] row-major) in order; out receives n steps.
  virtual void step_batch(const float* x, std::size_t n, MmdStep* out) = 0;
  // The threshold the step at detector time t is compared with.
  virtual double threshold_at(std::uint64_t t) const = 0;

  virtual std::uint64_t t() const = 0;
  virtual std::size_t dim() const = 0;
  // W for mmd; the longest window for detectors with several.
  virtual std::size_t window_size() const = 0;
  virtual std::size_t reference_size() const = 0;
  // One threshold per time offset 0..window_size()-1, the last one for later steps.
  virtual const std::vector<double>& thresholds() const = 0;
  virtual const std::vector<float>& sigmas() const = 0;
  // True when built from a given Calibration (a cache hit) rather than a bootstrap.
  virtual bool calibration_from_cache() const = 0;
  // The calibration in use, to build the same detector again.
  virtual Calibration calibration() const = 0;
};

// The names make_detector() accepts, default first: {"mmd", "mmd-multi"}.
const std::vector<std::string>& detector_names();
// "mmd|mmd-multi", for --help and error lines.
std::string detector_names_text();

// Throws std::invalid_argument with a one-line reason when detector `name`
// cannot work with these parameters and a reference of `n_reference` rows
// (validate_mmd_params, with mmd-multi's longest window in place of W).
void validate_detector_params(const std::string& name, const MmdParams& params,
                              std::size_t n_reference);

// Builds the detector `name` over `reference` [rows, dim], calibrating it by
// bootstrap unless options.calibration is given. Throws std::invalid_argument
// for an unknown name (listing the names) and whatever the detector's
// constructor throws.
std::unique_ptr<DriftDetector> make_detector(const std::string& name, const float* reference,
                                             std::size_t rows, std::size_t dim,
                                             const OnlineMmdOptions& options);

}  // namespace driftwatch::drift
