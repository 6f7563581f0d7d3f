// The routes infer-server serves and the methods it records, as a record's
// Handler and Method bytes: one table for the server's dispatch and for the
// `handler` and `method` labels every reader prints (handler_label() and
// method_label(), declared beside the enums in ring_layout.h, read it too).
#pragma once

#include <string_view>

#include "shared/ring/ring_layout.h"

namespace driftwatch::ring {

// The path of a request target: what comes before '?' or '#'.
std::string_view target_path(std::string_view target);

// The route a request target hits (query and fragment ignored);
// Handler::kNone for a path the server does not serve.
Handler handler_for_target(std::string_view target);

// The method a request line names; Method::kOther for any other.
Method method_from_name(std::string_view name);

}  // namespace driftwatch::ring
