#include "tools/ringtail/ringtail_options.h"

#include <boost/program_options.hpp>
#include <optional>
#include <ostream>
#include <stdexcept>

#include "shared/common/cli.h"

namespace driftwatch::ringtail {

namespace po = boost::program_options;

namespace {

// A switch that DRIFTWATCH_<FLAG>=1 (or =true) can also turn on.
po::typed_value<bool>* switch_value(bool* target) {
  return po::value(target)->implicit_value(true)->default_value(false)->value_name("BOOL");
}

// The --color value, or empty when it is none of auto|always|never.
std::optional<ColorMode> color_mode(const std::string& text) {
  if (text == "auto") return ColorMode::kAuto;
  if (text == "always") return ColorMode::kAlways;
  if (text == "never") return ColorMode::kNever;
  return std::nullopt;
}

}  // namespace

bool use_colour(ColorMode mode, bool stdout_is_tty, const char* no_color) {
  switch (mode) {
    case ColorMode::kAlways:
      return true;
    case ColorMode::kNever:
      return false;
    case ColorMode::kAuto:
      break;
  }
  return stdout_is_tty && (no_color == nullptr || no_color[0] == '\0');
}

common::CliOutcome parse_options(int argc, const char* const argv[], RingtailOptions& o,
                                 std::ostream& out, std::ostream& err) {
  const common::CliProgram program{
      "ringtail",
      "ringtail: follow the driftwatch request ring like tail -f.\n"
      "It maps the ring read-only and never slows the server.\n\n"
      "Usage: ringtail [options]\n",
      "\nLost records (the reader was lapped, raced a writer, or met a torn\n"
      "slot) are reported on stderr. Exit status: 0 on SIGINT/SIGPIPE or\n"
      "after --count, 2 when the ring is missing or incompatible, a flag is bad\n"
      "or a class filter names no class of the ring's model.\n",
      {}};
  std::string color = "auto";
  po::options_description desc("Options");
  // clang-format off
  desc.add_options()
    ("ring", po::value(&o.ring)->default_value(o.ring),
     "ring name (/NAME = /dev/shm/NAME) or file path")
    ("from-start", switch_value(&o.from_start), "start at the oldest record still in the ring")
    ("json", switch_value(&o.json),
     "one JSON object per record and line (for jq); embedding omitted")
    ("embedding", switch_value(&o.embedding), "with --json: include the embedding")
    ("stats", switch_value(&o.stats),
     "refresh once per second: records/s (from the records' timestamps), p50/p95/p99 "
     "latency, error share, class mix, share with confidence < 0.5")
    ("once", switch_value(&o.once),
     "with --stats: summarise what is in the ring now (use with --from-start) and exit")
    ("filter", po::value(&o.filters)->composing(),
     "show only matching records; repeatable: status=200, status=4xx, class=NAME (any case; "
     "a name the ring's model lacks is refused), min-conf=P, max-conf=P, kind=request, "
     "kind=feedback (same key ORs, different keys AND; failed requests have no class or "
     "confidence, a feedback record's class is the true one and it has no confidence)")
    ("count", po::value<std::uint64_t>(), "exit after N matching records")
    ("color", po::value(&color)->default_value(color)->value_name("WHEN"),
     "colour the status column: auto (a terminal, unless NO_COLOR is set), always, never");
  // clang-format on
  po::variables_map vm;
  const common::CliOutcome outcome = common::parse_cli(program, desc, argc, argv, vm, out, err);
  if (outcome != common::CliOutcome::kRun) return outcome;
  if (vm.count("count")) o.count = vm["count"].as<std::uint64_t>();
  const std::optional<ColorMode> mode = color_mode(color);
  if (!mode) {
    err << "ringtail: --color '" << color << "': expected auto, always or never\n(see --help)\n";
    return common::CliOutcome::kExitError;
  }
  o.color = *mode;
  const char* conflict = nullptr;
  if (o.embedding && !o.json) conflict = "--embedding needs --json";
  if (o.once && !o.stats) conflict = "--once needs --stats";
  if (o.stats && o.json) conflict = "--stats and --json exclude each other";
  if (conflict) {
    err << "ringtail: " << conflict << "\n(see --help)\n";
    return common::CliOutcome::kExitError;
  }
  return common::CliOutcome::kRun;
}

}  // namespace driftwatch::ringtail
