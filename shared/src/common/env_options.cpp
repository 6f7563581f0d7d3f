#include "driftwatch/common/env_options.h"

#include <cctype>

namespace driftwatch::common {

namespace po = boost::program_options;

std::string flag_for_env_var(const po::options_description& options, const std::string& variable) {
  static constexpr char kPrefix[] = "DRIFTWATCH_";
  if (variable.rfind(kPrefix, 0) != 0) return "";
  std::string name = variable.substr(sizeof(kPrefix) - 1);
  for (char& c : name) {
    c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (name == "help" || options.find_nothrow(name, false) == nullptr) return "";
  return name;
}

void store_env_flags(const po::options_description& options, po::variables_map& vm) {
  po::store(po::parse_environment(options,
                                  [&options](const std::string& variable) {
                                    return flag_for_env_var(options, variable);
                                  }),
            vm);
}

}  // namespace driftwatch::common
