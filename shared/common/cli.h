// One command-line shape for every driftwatch binary. parse_cli() adds
// --help/-h and --version to a binary's options, reads argv, then each flag
// also from DRIFTWATCH_<FLAG> (upper case, '-' as '_'; a flag on the command
// line wins), and prints help, version or a one-line error itself. The
// binary's own checks of values then follow, in one place per parameter.
#pragma once

#include <boost/program_options.hpp>
#include <iosfwd>
#include <string>
#include <vector>

namespace driftwatch::common {

enum class CliOutcome {
  kRun,        // options parsed: go on
  kExitOk,     // --help or --version printed: exit 0
  kExitError,  // a bad flag or value, reported on `err`: exit 2
};

// Exit status for a CliOutcome other than kRun.
int exit_status(CliOutcome outcome);

struct CliProgram {
  std::string name;    // "infer-server": prefixes every error line
  std::string usage;   // printed by --help before the options
  std::string epilog;  // printed by --help after the options (may be empty)
  // Extra --version lines for what the binary links, e.g. "libtorch 1.13.0".
  std::vector<std::string> components;
  // False when `usage` already describes every flag: --help then prints
  // usage and epilog only.
  bool list_options = true;
};

// "NAME VERSION\nrevision R\ncompiler C\n" plus one line per component.
std::string version_text(const CliProgram& program);

// The parse itself: `options` gains help and version; argv, then
// `environment` (null: the process environment), are stored and notified.
// Returns false after printing --help or --version on `out`; throws
// std::exception (boost::program_options::error) on a bad flag.
bool parse_cli_or_throw(
    const CliProgram& program, boost::program_options::options_description& options, int argc,
    const char* const argv[], boost::program_options::variables_map& vm, std::ostream& out,
    const boost::program_options::positional_options_description* positional = nullptr,
    const char* const* environment = nullptr);

// parse_cli_or_throw() with the error printed as "NAME: reason" on `err`.
// `positional` may be null.
CliOutcome parse_cli(
    const CliProgram& program, boost::program_options::options_description& options, int argc,
    const char* const argv[], boost::program_options::variables_map& vm, std::ostream& out,
    std::ostream& err,
    const boost::program_options::positional_options_description* positional = nullptr);

// The one list syntax of every flag that takes several numbers: "1,2.5,3".
// Throws std::invalid_argument naming `flag` unless each item is a positive
// finite number and there is at least one.
std::vector<float> parse_positive_list(const std::string& text, const std::string& flag);
// The same syntax for whole numbers: "10,20,50". Throws std::invalid_argument
// naming `flag` unless each item is a positive integer written in digits.
std::vector<std::size_t> parse_count_list(const std::string& text, const std::string& flag);

}  // namespace driftwatch::common
