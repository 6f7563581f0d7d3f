#include "exporter/drift/mmd_params.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace driftwatch::drift {

void validate_mmd_params(const MmdParams& params) {
  if (params.window_size < 2) throw std::invalid_argument("--window must be at least 2");
  if (!(params.ert > 1.0) || !std::isfinite(params.ert))
    throw std::invalid_argument("--ert must be a finite number above 1");
  if (params.n_bootstraps < 2) throw std::invalid_argument("--n-bootstraps must be at least 2");
  for (float s : params.sigmas) {
    if (!(s > 0.0f) || !std::isfinite(s))
      throw std::invalid_argument("--sigma must be positive and finite");
  }
  if (!params.windows.empty()) validate_multi_windows(params.windows);
}

void validate_multi_windows(const std::vector<std::size_t>& windows) {
  if (windows.empty()) throw std::invalid_argument("--multi-windows needs at least one window");
  for (std::size_t i = 0; i < windows.size(); ++i) {
    if (windows[i] < 2)
      throw std::invalid_argument("--multi-windows: each window must be at least 2");
    if (i > 0 && windows[i] <= windows[i - 1])
      throw std::invalid_argument("--multi-windows must be ascending without repeats");
  }
}

void validate_mmd_params(const MmdParams& params, std::size_t n_reference) {
  validate_mmd_params(params);
  const std::size_t w = params.window_size;
  if (n_reference < 2 * w + 1) {
    throw std::invalid_argument("reference has " + std::to_string(n_reference) +
                                " rows; window size " + std::to_string(w) + " needs at least " +
                                std::to_string(2 * w + 1) + " (N - (2W-1) >= 2)");
  }
}

}  // namespace driftwatch::drift
