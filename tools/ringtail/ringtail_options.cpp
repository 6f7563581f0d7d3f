#include "ringtail_options.h"

#include <boost/program_options.hpp>
#include <cstdlib>
#include <iostream>
#include <stdexcept>

namespace driftwatch::ringtail {

namespace po = boost::program_options;

std::optional<RingtailOptions> parse_options(int argc, char** argv) {
  RingtailOptions o;
  if (const char* env = std::getenv("DRIFTWATCH_RING")) o.ring = env;
  po::options_description desc(
      "ringtail: follow the driftwatch request ring like tail -f.\n"
      "It maps the ring read-only and never slows the server.\n\n"
      "Usage: ringtail [options]\n\nOptions");
  // clang-format off
  desc.add_options()
    ("help,h", "show this help")
    ("ring", po::value(&o.ring)->default_value(o.ring),
     "ring name (/NAME = /dev/shm/NAME) or file path; env DRIFTWATCH_RING")
    ("from-start", po::bool_switch(&o.from_start), "start at the oldest record still in the ring")
    ("json", po::bool_switch(&o.json),
     "one JSON object per record and line (for jq); embedding omitted")
    ("embedding", po::bool_switch(&o.embedding), "with --json: include the embedding")
    ("stats", po::bool_switch(&o.stats),
     "refresh once per second: records/s, p50/p95/p99 latency, error share, class mix, "
     "share with confidence < 0.5")
    ("once", po::bool_switch(&o.once),
     "with --stats: summarise what is in the ring now (use with --from-start) and exit")
    ("filter", po::value(&o.filters)->composing(),
     "show only matching records; repeatable: status=200, status=4xx, class=NAME, "
     "min-conf=P, max-conf=P (same key ORs, different keys AND)")
    ("count", po::value<std::uint64_t>(), "exit after N matching records");
  // clang-format on
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw std::invalid_argument(e.what());
  }
  if (vm.count("help")) {
    std::cout << desc << "\nLost records (the reader was lapped, raced a writer, or met a torn\n"
                         "slot) are reported on stderr. Exit status: 0 on SIGINT/SIGPIPE or\n"
                         "after --count, 2 when the ring is missing or incompatible.\n";
    return std::nullopt;
  }
  if (vm.count("count")) o.count = vm["count"].as<std::uint64_t>();
  if (o.embedding && !o.json) throw std::invalid_argument("--embedding needs --json");
  if (o.once && !o.stats) throw std::invalid_argument("--once needs --stats");
  if (o.stats && o.json) throw std::invalid_argument("--stats and --json exclude each other");
  return o;
}

}  // namespace driftwatch::ringtail
