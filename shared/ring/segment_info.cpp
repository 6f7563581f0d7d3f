#include "shared/ring/segment_info.h"

namespace driftwatch::ring {

std::string segment_path(const std::string& name) {
  const bool shm_name = name.size() > 1 && name[0] == '/' && name.find('/', 1) == std::string::npos;
  return shm_name ? "/dev/shm" + name : name;
}

}  // namespace driftwatch::ring
