#include "shared/ring/segment_info.h"

#include "shared/ring/ring_layout.h"

namespace driftwatch::ring {

std::string segment_path(const std::string& name) {
  const bool shm_name = name.size() > 1 && name[0] == '/' && name.find('/', 1) == std::string::npos;
  return shm_name ? "/dev/shm" + name : name;
}

const char* handler_label(Handler h) {
  switch (h) {
    case Handler::kPredict:
      return "/predict";
    case Handler::kHealthz:
      return "/healthz";
    case Handler::kReadyz:
      return "/readyz";
    case Handler::kModel:
      return "/model";
    case Handler::kIndex:
      return "/";
    case Handler::kNone:
      break;
  }
  return "none";
}

const char* method_label(Method m) {
  switch (m) {
    case Method::kGet:
      return "GET";
    case Method::kPost:
      return "POST";
    case Method::kHead:
      return "HEAD";
    case Method::kPut:
      return "PUT";
    case Method::kDelete:
      return "DELETE";
    case Method::kOptions:
      return "OPTIONS";
    case Method::kPatch:
      return "PATCH";
    case Method::kOther:
      break;
  }
  return "OTHER";
}

}  // namespace driftwatch::ring
