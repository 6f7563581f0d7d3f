#include "tools/ringtail/record_filter.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace driftwatch::ringtail {
namespace {

float parse_probability(const std::string& term, const std::string& value) {
  std::size_t used = 0;
  float p = 0;
  try {
    p = std::stof(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != value.size() || p < 0.0f || p > 1.0f) {
    throw std::invalid_argument("filter '" + term + "': expected a probability in [0, 1]");
  }
  return p;
}

bool equal_ignoring_case(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) {
      return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool has_class(const std::vector<std::string>& class_names, const std::string& name) {
  for (const auto& known : class_names) {
    if (equal_ignoring_case(known, name)) return true;
  }
  return false;
}

}  // namespace

void RecordFilter::add_term(const std::string& term) {
  const auto eq = term.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == term.size()) {
    throw std::invalid_argument("filter '" + term + "': expected KEY=VALUE");
  }
  const std::string key = term.substr(0, eq);
  const std::string value = term.substr(eq + 1);
  if (key == "status") {
    if (value.size() == 3 && value[0] >= '1' && value[0] <= '5' && value.substr(1) == "xx") {
      statuses_.push_back({value[0] - '0', true});
    } else if (value.size() == 3 && value.find_first_not_of("0123456789") == std::string::npos) {
      statuses_.push_back({std::stoi(value), false});
    } else {
      throw std::invalid_argument("filter '" + term + "': status is a code (404) or a class (4xx)");
    }
  } else if (key == "class") {
    classes_.push_back(value);
  } else if (key == "kind") {
    if (value == ring::record_kind_label(ring::RecordKind::kRequest)) {
      kinds_.push_back(ring::RecordKind::kRequest);
    } else if (value == ring::record_kind_label(ring::RecordKind::kFeedback)) {
      kinds_.push_back(ring::RecordKind::kFeedback);
    } else {
      throw std::invalid_argument("filter '" + term + "': kind is request or feedback");
    }
  } else if (key == "min-conf") {
    min_confidence_ = parse_probability(term, value);
  } else if (key == "max-conf") {
    max_confidence_ = parse_probability(term, value);
  } else {
    throw std::invalid_argument("filter '" + term +
                                "': unknown key (status, class, min-conf, max-conf, kind)");
  }
}

bool RecordFilter::matches(const ring::Record& r,
                           const std::vector<std::string>& class_names) const {
  if (!kinds_.empty() && std::find(kinds_.begin(), kinds_.end(), r.fields.kind) == kinds_.end())
    return false;
  const int status = r.fields.http_status;
  if (!statuses_.empty()) {
    bool any = false;
    for (const auto& s : statuses_) {
      any = any || (s.whole_class ? status / 100 == s.value : status == s.value);
    }
    if (!any) return false;
  }
  if (!classes_.empty()) {
    const int c = r.fields.class_index;
    if (c < 0 || static_cast<std::size_t>(c) >= class_names.size()) return false;
    bool any = false;
    for (const auto& name : classes_) any = any || equal_ignoring_case(class_names[c], name);
    if (!any) return false;
  }
  // Confidence filters select successful predictions only (a label has none).
  if (min_confidence_ || max_confidence_) {
    if (r.fields.kind != ring::RecordKind::kRequest || r.fields.class_index < 0) return false;
    if (min_confidence_ && r.fields.confidence < *min_confidence_) return false;
    if (max_confidence_ && r.fields.confidence > *max_confidence_) return false;
  }
  return true;
}

std::string RecordFilter::unknown_class_error(const std::vector<std::string>& class_names) const {
  for (const auto& name : classes_) {
    if (has_class(class_names, name)) continue;
    std::string valid;
    for (const auto& known : class_names) valid += (valid.empty() ? "" : ", ") + known;
    return "filter 'class=" + name + "': the ring's model has no such class; valid: " +
           (valid.empty() ? "(the ring has no class table)" : valid);
  }
  return "";
}

}  // namespace driftwatch::ringtail
