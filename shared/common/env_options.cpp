#include "shared/common/env_options.h"

#include <unistd.h>

#include <cctype>
#include <string>
#include <vector>

namespace driftwatch::common {

namespace po = boost::program_options;

std::string flag_for_env_var(const po::options_description& options, const std::string& variable) {
  static constexpr char kPrefix[] = "DRIFTWATCH_";
  if (variable.rfind(kPrefix, 0) != 0) return "";
  std::string name = variable.substr(sizeof(kPrefix) - 1);
  for (char& c : name) {
    c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (name == "help" || name == "version" || options.find_nothrow(name, false) == nullptr)
    return "";
  return name;
}

void store_env_flags(const po::options_description& options, po::variables_map& vm,
                     const char* const* environment) {
  if (environment == nullptr) environment = environ;
  // As --NAME=VALUE arguments, so a flag's own parser (and its implicit
  // value for booleans) reads the variable exactly as it reads the flag.
  std::vector<std::string> args;
  for (const char* const* e = environment; *e != nullptr; ++e) {
    const std::string entry = *e;
    const std::size_t eq = entry.find('=');
    if (eq == std::string::npos) continue;
    const std::string name = flag_for_env_var(options, entry.substr(0, eq));
    if (!name.empty()) args.push_back("--" + name + "=" + entry.substr(eq + 1));
  }
  po::store(po::command_line_parser(args).options(options).run(), vm);
}

}  // namespace driftwatch::common
