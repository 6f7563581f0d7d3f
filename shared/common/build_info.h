// What a binary was built from: the project version, the git revision of the
// tree it was built from ("unknown" outside a git checkout) and the compiler.
// `--version` on every binary and drift-exporter's driftwatch_build_info gauge
// print these.
#pragma once

#include <string>

namespace driftwatch::common {

const char* project_version();  // "0.1.0"
const char* git_revision();     // `git describe --always --dirty`, or "unknown"
const char* compiler();         // "GCC 12.2.0", "clang 14.0.6"

}  // namespace driftwatch::common
