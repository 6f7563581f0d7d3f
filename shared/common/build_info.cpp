#include "shared/common/build_info.h"

#include "dw_build_revision.h"  // generated at every build: DW_GIT_REVISION

namespace driftwatch::common {

const char* project_version() { return DW_PROJECT_VERSION; }

const char* git_revision() { return DW_GIT_REVISION; }

const char* compiler() {
#if defined(__clang__)
  return "clang " __clang_version__;
#elif defined(__GNUC__)
  return "GCC " __VERSION__;
#else
  return "unknown compiler";
#endif
}

}  // namespace driftwatch::common
