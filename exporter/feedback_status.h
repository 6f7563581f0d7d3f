// FeedbackStatus: the feedback stage's results as the HTTP stage reads them,
// and the one writer of the GET /feedback document (and of its page's data):
//
//   {"table":{capacity, entry_bytes, allocated_bytes, predictions_added,
//             max_age_seconds},
//    "accuracy_window", "classes":[names],
//    "labels":{received, joined, unmatched:{unknown, expired, duplicate}},
//    "sources":[{source, joined, labels, correct, accuracy, lower, upper,
//                reliability:[{confidence_min, confidence_max, labels,
//                              correct, mean_confidence}] x 10}] x 4,
//    "confusion":[{source, predicted, true, count}]  (non-zero cells only)}
//
// accuracy/lower/upper are over the last accuracy_window joined labels of
// the source (null before its first); reliability and confusion count every
// label joined since the exporter started.
//
// Thread contract: one writer thread (the feedback stage's); to_json() from
// any thread. Everything is under one mutex, taken once per update and
// once per to_json(), which formats under it (the document is small: the
// confusion cells are at most sources x classes^2 and in practice far fewer).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "exporter/feedback_accuracy.h"
#include "exporter/feedback_join.h"

namespace driftwatch::exporter {

class FeedbackStatus {
 public:
  static constexpr std::size_t kReliabilityBins = 10;  // 0.1 wide

  explicit FeedbackStatus(std::size_t accuracy_window) : accuracy_window_(accuracy_window) {}
  FeedbackStatus(const FeedbackStatus&) = delete;
  FeedbackStatus& operator=(const FeedbackStatus&) = delete;

  // --- any thread ----------------------------------------------------------
  std::string to_json() const;

  // --- the feedback stage's thread -----------------------------------------
  void set_classes(const std::vector<std::string>& names);
  void set_table(const FeedbackJoin& table);
  void add_unmatched(JoinOutcome reason);
  // A joined label, and its source's window after it.
  void add_joined(ring::FeedbackSource source, std::int32_t predicted_class,
                  std::int32_t true_class, float confidence, const AccuracyWindow& window);

  // The reliability bin of a confidence: (i/10, (i+1)/10], as the
  // histogram's le buckets count it; 0 and below fall in the first.
  static std::size_t reliability_bin(float confidence);

 private:
  struct Bin {
    std::uint64_t labels = 0;
    std::uint64_t correct = 0;
    double confidence_sum = 0.0;
  };
  struct Source {
    std::uint64_t joined = 0;
    std::size_t window_labels = 0;
    std::size_t window_correct = 0;
    WilsonInterval interval;
    std::array<Bin, kReliabilityBins> reliability{};
  };
  struct Table {
    std::size_t capacity = 0;
    std::size_t allocated_bytes = 0;
    std::uint64_t predictions_added = 0;
    std::int64_t max_age_seconds = 0;
  };

  const std::size_t accuracy_window_;
  mutable std::mutex mutex_;  // guards everything below
  std::vector<std::string> class_names_;
  Table table_;
  std::array<std::uint64_t, 3> unmatched_{};  // unknown, expired, duplicate
  std::array<Source, kFeedbackSources> sources_{};
  std::map<std::tuple<std::size_t, std::int32_t, std::int32_t>, std::uint64_t> confusion_;
};

}  // namespace driftwatch::exporter
