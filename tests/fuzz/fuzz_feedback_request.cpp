// libFuzzer target: a POST /feedback body from raw bytes, through
// parse_feedback_body() (server/feedback_request.cpp, exactly what the route
// runs): JSON, one label or an array of up to 1000, request ids, class names
// and indices, sources. Every accepted label must name a class of the model
// and a request id that formats back to what parses; every refusal has a code.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "server/feedback_request.h"
#include "server/request_id.h"

namespace {

const std::vector<std::string>& class_names() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                                 "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                                 "Bag",         "Ankle boot"};
  return names;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace server = driftwatch::server;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  std::vector<server::FeedbackLabel> labels;
  const auto refused = server::parse_feedback_body(body, class_names(), labels);
  if (refused) {
    if (refused->code.empty() || !labels.empty()) std::abort();
    return 0;
  }
  if (labels.empty() || labels.size() > server::kMaxFeedbackLabels) std::abort();
  for (const server::FeedbackLabel& l : labels) {
    if (l.class_index < 0 || static_cast<std::size_t>(l.class_index) >= class_names().size())
      std::abort();
    const auto again = server::parse_request_id(server::format_request_id(l.prediction));
    if (!again || again->generation != l.prediction.generation ||
        again->request_id != l.prediction.request_id)
      std::abort();
  }
  return 0;
}
