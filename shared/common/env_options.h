// Every driftwatch binary reads each flag also from DRIFTWATCH_<FLAG> (upper
// case, '-' as '_'); a flag given on the command line wins.
#pragma once

#include <boost/program_options.hpp>
#include <string>

namespace driftwatch::common {

// "DRIFTWATCH_MAX_BODY_BYTES" -> "max-body-bytes" when that is one of
// `options`, else "" (the prefix is shared by all binaries, so another
// binary's variable is ignored, not rejected). DRIFTWATCH_HELP and
// DRIFTWATCH_VERSION map to nothing.
std::string flag_for_env_var(const boost::program_options::options_description& options,
                             const std::string& variable);

// Stores the DRIFTWATCH_<FLAG> values of `environment` (NAME=VALUE entries,
// null-terminated; the process environment when null) into `vm`. Call it
// after storing the command line: store() keeps values already there.
void store_env_flags(const boost::program_options::options_description& options,
                     boost::program_options::variables_map& vm,
                     const char* const* environment = nullptr);

}  // namespace driftwatch::common
