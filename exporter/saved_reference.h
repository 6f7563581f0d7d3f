// The reference a warmup learned, kept across restarts (--reference-save).
//
// "warmup:N" takes the first N successful predictions as the reference. An
// exporter restarted during a drift would otherwise learn the drifted traffic
// as "normal" and report no drift at all; with a saved file it reloads the
// reference learned before and keeps detecting. The file is a float32 .npy
// [N, D] (the same format as --reference FILE), written to a temporary name
// and renamed, so a crash never leaves half a reference behind.
//
// Thread contract: free functions, no shared state.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace driftwatch::exporter {

// A reference's embeddings, as calibration takes them.
struct ReferenceRows {
  std::vector<float> rows;  // [count, dim] row-major
  std::size_t count = 0;
  std::size_t dim = 0;
};

// std::nullopt when `path` does not exist (the first start). Throws
// DriftConfigError when it exists but is unreadable, not float32 [N, D], or
// holds another row count than `expected_rows` (the reason says to delete it
// to learn a new reference).
std::optional<ReferenceRows> load_saved_reference(const std::string& path,
                                                  std::size_t expected_rows);

// Writes [count, dim] to `path` atomically. Throws std::runtime_error (with
// the path and the reason) when it cannot.
void save_reference(const std::string& path, const float* rows, std::size_t count, std::size_t dim);

}  // namespace driftwatch::exporter
