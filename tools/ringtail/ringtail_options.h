// Command line of ringtail; the one place its settings are read.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "driftwatch/common/cli.h"

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

// Parses argv and DRIFTWATCH_<FLAG> (common::parse_cli) into `options`.
common::CliOutcome parse_options(int argc, const char* const argv[], RingtailOptions& options,
                                 std::ostream& out, std::ostream& err);

}  // namespace driftwatch::ringtail
