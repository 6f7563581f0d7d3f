// Command line of ringtail; the one place its settings are read.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "shared/common/cli.h"
#include "shared/ring/segment_info.h"

namespace driftwatch::ringtail {

// --color: auto colours only a terminal and only without NO_COLOR.
enum class ColorMode { kAuto, kAlways, kNever };

struct RingtailOptions {
  std::string ring = ring::kDefaultRingName;
  bool from_start = false;
  bool json = false;
  bool embedding = false;
  bool stats = false;
  bool once = false;
  std::vector<std::string> filters;
  std::optional<std::uint64_t> count;
  ColorMode color = ColorMode::kAuto;
};

// Whether text lines get colour. `no_color` is getenv("NO_COLOR"): any
// non-empty value turns auto off (https://no-color.org); an explicit
// --color=always is a request for this one run and wins over it.
bool use_colour(ColorMode mode, bool stdout_is_tty, const char* no_color);

// Parses argv and DRIFTWATCH_<FLAG> (common::parse_cli) into `options`.
common::CliOutcome parse_options(int argc, const char* const argv[], RingtailOptions& options,
                                 std::ostream& out, std::ostream& err);

}  // namespace driftwatch::ringtail
