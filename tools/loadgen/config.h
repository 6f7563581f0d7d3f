#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "tools/loadgen/url.h"

namespace driftwatch::loadgen {

// A bad flag or flag combination; what() is one line for the user.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Everything the command line (or DRIFTWATCH_<FLAG> environment variables)
// can set, already validated.
struct Config {
  enum class Source { kImageDir, kIdx, kImageFile };
  enum class Mode { kStages, kRate };

  std::string url_text;
  Url url;
  bool allow_remote = false;

  Source source = Source::kImageFile;
  std::string source_path;
  std::uint32_t max_images = 0;  // 0 = every image of --images / --idx
  std::uint64_t seed = 1;
  double error_share = 0.0;

  Mode mode = Mode::kStages;
  std::vector<int> stages;
  double stage_seconds = 30.0;
  double rate = 0.0;
  std::uint64_t rate_requests = 0;  // requests the rate run sends in total
  double duration = 0.0;            // rate mode: seconds (0 when only --max-requests bounds it)
  int connections = 64;
  std::uint64_t max_requests = 0;  // 0 = no limit

  // --feedback-share > 0: true labels of that share of answers go to
  // /feedback (IDX payloads only; labels from idx_labels).
  std::string idx_labels;  // IDX1 labels file; default: beside --idx
  double feedback_share = 0.0;
  int feedback_delay_ms = 0;
  std::string feedback_log;
  std::string feedback_token;  // read from --feedback-token-file
  Url feedback_url;            // --url with the path /feedback

  int threads = 1;
  int timeout_ms = 10000;
  bool json = false;
  bool progress = true;
};

// The --help text.
std::string usage_text();

// Parses and validates argv (flags win over DRIFTWATCH_* variables from
// `environment`, which is a list of "NAME=VALUE" entries such as environ).
// Returns nullopt after printing --help or --version to `help_out`. Throws
// ConfigError for anything invalid.
std::optional<Config> parse_config(int argc, const char* const* argv,
                                   const char* const* environment, std::ostream& help_out);

}  // namespace driftwatch::loadgen
