// Command line of ringtail; the one place its settings are read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace driftwatch::ringtail {

struct RingtailOptions {
  std::string ring = "/driftwatch";
  bool from_start = false;
  bool json = false;
  bool embedding = false;
  bool stats = false;
  bool once = false;
  std::vector<std::string> filters;
  std::optional<std::uint64_t> count;
};

// Returns nullopt after printing help; throws std::invalid_argument on a bad
// command line.
std::optional<RingtailOptions> parse_options(int argc, char** argv);

}  // namespace driftwatch::ringtail
