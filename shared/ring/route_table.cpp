#include "shared/ring/route_table.h"

#include <cstddef>

namespace driftwatch::ring {
namespace {

struct Route {
  Handler handler;
  const char* path;
};
// A handler's first path is its label; a later one is an alias.
constexpr Route kRoutes[] = {
    {Handler::kPredict, "/predict"},
    {Handler::kHealthz, "/healthz"},
    {Handler::kReadyz, "/readyz"},
    {Handler::kModel, "/model"},
    {Handler::kIndex, "/"},
    {Handler::kIndex, "/index.html"},
    {Handler::kFeedback, "/feedback"},
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

// The first entry of `table` that `match` accepts, or null.
template <typename Entry, std::size_t N, typename Match>
const Entry* find_entry(const Entry (&table)[N], Match match) {
  for (const Entry& e : table) {
    if (match(e)) return &e;
  }
  return nullptr;
}

}  // namespace

std::string_view target_path(std::string_view target) {
  const auto end = target.find_first_of("?#");
  return end == std::string_view::npos ? target : target.substr(0, end);
}

Handler handler_for_target(std::string_view target) {
  const std::string_view path = target_path(target);
  const Route* r = find_entry(kRoutes, [&](const Route& e) { return path == e.path; });
  return r != nullptr ? r->handler : Handler::kNone;
}

const char* handler_label(Handler h) {
  const Route* r = find_entry(kRoutes, [&](const Route& e) { return e.handler == h; });
  return r != nullptr ? r->path : kNoRouteLabel;
}

Method method_from_name(std::string_view name) {
  const MethodName* m = find_entry(kMethods, [&](const MethodName& e) { return name == e.name; });
  return m != nullptr ? m->method : Method::kOther;
}

const char* method_label(Method m) {
  const MethodName* e = find_entry(kMethods, [&](const MethodName& x) { return x.method == m; });
  return e != nullptr ? e->name : kOtherMethodLabel;
}

}  // namespace driftwatch::ring
