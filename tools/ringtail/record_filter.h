// RecordFilter: which records ringtail shows. Built from --filter terms:
//   status=200 | status=4xx | class=<name> | min-conf=<p> | max-conf=<p> |
//   kind=request | kind=feedback
// Terms combine with AND; repeating a key ORs its values (status=4xx status=5xx).
// Class names match ignoring ASCII case (class=bag selects "Bag"); a feedback
// record's class is its true class. Confidence terms select predictions only.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "shared/ring/ring_reader.h"

namespace driftwatch::ringtail {

class RecordFilter {
 public:
  // Throws std::invalid_argument naming the bad term.
  void add_term(const std::string& term);
  bool matches(const ring::Record& r, const std::vector<std::string>& class_names) const;
  // The first class term that names no class of `class_names`, as one line
  // listing the valid names; empty when every class term is known. A typo
  // would otherwise match nothing and look like a quiet server.
  std::string unknown_class_error(const std::vector<std::string>& class_names) const;

 private:
  struct StatusMatch {
    int value;  // exact code, or the class digit when `whole_class`
    bool whole_class;
  };
  std::vector<StatusMatch> statuses_;
  std::vector<std::string> classes_;
  std::vector<ring::RecordKind> kinds_;
  std::optional<float> min_confidence_;
  std::optional<float> max_confidence_;
};

}  // namespace driftwatch::ringtail
