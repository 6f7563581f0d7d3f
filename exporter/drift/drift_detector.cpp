#include "exporter/drift/drift_detector.h"

#include <stdexcept>

#include "exporter/drift/multi_window_mmd.h"
#include "exporter/drift/online_mmd.h"

namespace driftwatch::drift {

const std::vector<std::string>& detector_names() {
  static const std::vector<std::string> names{"mmd", "mmd-multi"};
  return names;
}

std::string detector_names_text() {
  std::string out;
  for (const std::string& n : detector_names()) out += (out.empty() ? "" : "|") + n;
  return out;
}

void validate_detector_params(const std::string& name, const MmdParams& params,
                              std::size_t n_reference) {
  if (name == "mmd") {
    if (!params.windows.empty())
      throw std::invalid_argument("--multi-windows only applies to --detector mmd-multi");
    return validate_mmd_params(params, n_reference);
  }
  if (name == "mmd-multi") {
    validate_mmd_params(params);
    return validate_mmd_params(multi_window_params(params, multi_windows_of(params)), n_reference);
  }
  throw std::invalid_argument("unknown detector '" + name + "' (expected " + detector_names_text() +
                              ")");
}

std::unique_ptr<DriftDetector> make_detector(const std::string& name, const float* reference,
                                             std::size_t rows, std::size_t dim,
                                             const OnlineMmdOptions& options) {
  if (name == "mmd") return std::make_unique<OnlineMmd>(reference, rows, dim, options);
  if (name == "mmd-multi") {
    return std::make_unique<MultiWindowMmd>(reference, rows, dim, multi_windows_of(options.params),
                                            options);
  }
  throw std::invalid_argument("unknown detector '" + name + "' (expected " + detector_names_text() +
                              ")");
}

}  // namespace driftwatch::drift
