// ReferenceSource: where the drift detector's reference comes from, one of
//
//   none        --reference not given: drift detection is off
//   file        a float32 .npy [N, D] (drift/reference_file.h), read and
//               checked at start; D is checked against the producer later
//   warmup:N    the first N usable embeddings the ring delivers, collected
//               here; D is the producer's (a new D restarts the collection).
//               With --reference-save the collected reference is saved once
//               complete and, on a later start, read back instead of
//               collected again (saved_reference.h): a restart during a
//               drift does not learn the drift.
//
// The detector's parameters are checked against the reference's N here, so
// a reference too small for the window fails at start, not at calibration.
//
// Thread contract: one thread (the drift stage's) uses it; nothing is shared.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "exporter/drift_stage_options.h"
#include "exporter/saved_reference.h"

namespace driftwatch::exporter {

class ReferenceSource {
 public:
  enum class Kind { kNone, kFile, kWarmup };

  // Parses options.reference, reads a file or a saved warmup reference and
  // checks the parameters against N. Throws DriftConfigError with a
  // one-line reason.
  explicit ReferenceSource(const DriftStageOptions& options);

  Kind kind() const { return kind_; }
  // N: the file's rows, or the N of warmup:N.
  std::size_t rows() const { return rows_; }
  // D: the file's, the saved reference's, or the producer's during a warmup
  // (0: not known yet).
  std::size_t dim() const { return dim_; }
  std::size_t collected() const { return collected_; }
  // The warmup reference was read back from --reference-save.
  bool reused_saved() const { return reused_saved_; }
  // Why saving the warmup reference failed ("" : it did not).
  const std::string& save_error() const { return save_error_; }

  // A warmup still collecting (its D may follow the producer's).
  bool collecting() const { return kind_ == Kind::kWarmup && !complete_; }
  // While collecting: the producer's embedding D. A change restarts the
  // collection.
  void set_producer_dim(std::size_t dim);
  // While collecting: adds one embedding of dim() floats. The N-th completes
  // the warmup (and saves it with --reference-save).
  void add(const float* embedding);

  // The complete reference, once: at start for a file or a saved warmup,
  // after the N-th add() for a warmup; nullopt otherwise.
  std::optional<ReferenceRows> take();

 private:
  void load_file(const DriftStageOptions& options);
  void finish_warmup();

  Kind kind_ = Kind::kNone;
  std::string save_path_;  // --reference-save ("" : none)
  std::size_t rows_ = 0;
  std::size_t dim_ = 0;
  std::size_t collected_ = 0;
  bool complete_ = false;
  bool reused_saved_ = false;
  std::string save_error_;
  std::vector<float> warmup_;           // collected rows, [collected, dim]
  std::optional<ReferenceRows> ready_;  // complete, not yet taken
};

}  // namespace driftwatch::exporter
