#include "shared/ring/route_table.h"

namespace driftwatch::ring {
namespace {

struct Route {
  Handler handler;
  const char* path;
};
// A handler's first path is its label; a later one is an alias.
constexpr Route kRoutes[] = {
    {Handler::kPredict, "/predict"}, {Handler::kHealthz, "/healthz"},
    {Handler::kReadyz, "/readyz"},   {Handler::kModel, "/model"},
    {Handler::kIndex, "/"},          {Handler::kIndex, "/index.html"},
};
// The label of Handler::kNone, and of any byte that names no route.
constexpr char kNoRouteLabel[] = "none";

struct MethodName {
  Method method;
  const char* name;
};
constexpr MethodName kMethods[] = {
    {Method::kGet, "GET"},     {Method::kPost, "POST"},     {Method::kHead, "HEAD"},
    {Method::kPut, "PUT"},     {Method::kDelete, "DELETE"}, {Method::kOptions, "OPTIONS"},
    {Method::kPatch, "PATCH"},
};
// The label of Method::kOther, and of any byte that names no method.
constexpr char kOtherMethodLabel[] = "OTHER";

}  // namespace

std::string_view target_path(std::string_view target) {
  const auto end = target.find_first_of("?#");
  return end == std::string_view::npos ? target : target.substr(0, end);
}

Handler handler_for_target(std::string_view target) {
  const std::string_view path = target_path(target);
  for (const Route& r : kRoutes) {
    if (path == r.path) return r.handler;
  }
  return Handler::kNone;
}

const char* handler_label(Handler h) {
  for (const Route& r : kRoutes) {
    if (r.handler == h) return r.path;
  }
  return kNoRouteLabel;
}

Method method_from_name(std::string_view name) {
  for (const MethodName& m : kMethods) {
    if (name == m.name) return m.method;
  }
  return Method::kOther;
}

const char* method_label(Method m) {
  for (const MethodName& entry : kMethods) {
    if (entry.method == m) return entry.name;
  }
  return kOtherMethodLabel;
}

}  // namespace driftwatch::ring
