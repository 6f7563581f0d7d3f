#include "shared/common/cli.h"

#include <cmath>
#include <ostream>
#include <sstream>
#include <stdexcept>

#include "shared/common/build_info.h"
#include "shared/common/env_options.h"

namespace driftwatch::common {

namespace po = boost::program_options;

int exit_status(CliOutcome outcome) { return outcome == CliOutcome::kExitError ? 2 : 0; }

std::string version_text(const CliProgram& program) {
  std::string text = program.name + " " + project_version() + "\nrevision " + git_revision() +
                     "\ncompiler " + compiler() + "\n";
  for (const std::string& component : program.components) text += component + "\n";
  return text;
}

bool parse_cli_or_throw(const CliProgram& program, po::options_description& options, int argc,
                        const char* const argv[], po::variables_map& vm, std::ostream& out,
                        const po::positional_options_description* positional,
                        const char* const* environment) {
  options.add_options()("help,h", "print this help and exit")(
      "version", "print the version, git revision and compiler, and exit");
  po::command_line_parser parser(argc, argv);
  parser.options(options);
  if (positional) parser.positional(*positional);
  po::store(parser.run(), vm);
  if (vm.count("help")) {
    out << program.usage;
    if (program.list_options) {
      out << "\nEvery flag can also be set as DRIFTWATCH_<FLAG> (upper case, '-' as '_', e.g.\n"
          << "DRIFTWATCH_LOG_LEVEL=debug); a flag on the command line wins.\n\n"
          << options;
    }
    out << program.epilog;
    return false;
  }
  if (vm.count("version")) {
    out << version_text(program);
    return false;
  }
  // Environment after the command line: store() keeps values already set.
  store_env_flags(options, vm, environment);
  po::notify(vm);
  return true;
}

CliOutcome parse_cli(const CliProgram& program, po::options_description& options, int argc,
                     const char* const argv[], po::variables_map& vm, std::ostream& out,
                     std::ostream& err, const po::positional_options_description* positional) {
  try {
    if (!parse_cli_or_throw(program, options, argc, argv, vm, out, positional))
      return CliOutcome::kExitOk;
  } catch (const std::exception& e) {
    err << program.name << ": " << e.what() << "\n(see --help)\n";
    return CliOutcome::kExitError;
  }
  return CliOutcome::kRun;
}

std::vector<float> parse_positive_list(const std::string& text, const std::string& flag) {
  const std::string expected =
      "--" + flag + " '" + text + "': expected positive numbers separated by commas (e.g. 1,2.5)";
  std::vector<float> values;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    std::size_t pos = 0;
    float v = 0.0f;
    try {
      v = std::stof(item, &pos);
    } catch (const std::exception&) {
      pos = 0;
    }
    if (pos == 0 || pos != item.size() || !(v > 0.0f) || !std::isfinite(v))
      throw std::invalid_argument(expected);
    values.push_back(v);
  }
  if (values.empty() || text.back() == ',') throw std::invalid_argument(expected);
  return values;
}

std::vector<std::size_t> parse_count_list(const std::string& text, const std::string& flag) {
  const std::string expected =
      "--" + flag + " '" + text +
      "': expected positive whole numbers separated by commas (e.g. 10,20,50)";
  std::vector<std::size_t> values;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    const bool digits = !item.empty() && item.size() <= 18 &&
                        item.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || std::stoull(item) == 0) throw std::invalid_argument(expected);
    values.push_back(static_cast<std::size_t>(std::stoull(item)));
  }
  if (values.empty() || text.back() == ',') throw std::invalid_argument(expected);
  return values;
}

}  // namespace driftwatch::common
