#include "exporter/drift_stage.h"

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "exporter/drift/embedding_check.h"

namespace driftwatch::exporter {
namespace {

// The start-up warnings about the configuration itself, logged before the
// reference is read.
const DriftStageOptions& warn_about(const DriftStageOptions& o) {
  if (o.reference.empty()) {
    spdlog::warn("no --reference given: drift detection is off (metrics only)");
    return o;
  }
  // alibi-detect's advice: the thresholds are the (1 - 1/ert) quantiles of
  // n_bootstraps samples; with fewer than ~10 samples beyond the quantile
  // they are noisy and the real false-step rate misses 1/ert.
  if (static_cast<double>(o.params.n_bootstraps) < 10.0 * o.params.ert) {
    spdlog::warn(
        "--n-bootstraps {} is below 10 x --ert ({}): the thresholds are noisy and the "
        "false-step rate may differ from 1/ert; use at least {}",
        o.params.n_bootstraps, o.params.ert,
        static_cast<std::uint64_t>(std::ceil(10.0 * o.params.ert)));
  }
  return o;
}

DriftStageOptions normalized(DriftStageOptions o) {
  if (o.batch == 0) o.batch = 1;
  return o;
}

}  // namespace

DriftStage::DriftStage(DriftStageOptions options, DriftMetrics& metrics)
    : options_(normalized(std::move(options))),
      metrics_(metrics),
      status_(options_),
      reference_(warn_about(options_)),
      calibration_(options_.detector, options_.params, options_.cache_path,
                   [this](std::size_t done) { status_.set_bootstraps_done(done); }),
      sustained_(options_.sustained) {
  metrics_.set_ready(false);
  metrics_.set_enabled(reference_.kind() != ReferenceSource::Kind::kNone);
  dim_ = reference_.dim();
  publish_reference();
  start_calibration();
  update_state();
}

void DriftStage::publish_reference() {
  status_.set_reference({reference_.rows(), reference_.dim(), reference_.collected(),
                         reference_.reused_saved(), reference_.save_error()});
}

void DriftStage::start_calibration() {
  if (std::optional<ReferenceRows> ref = reference_.take()) calibration_.start(std::move(*ref));
}

void DriftStage::tick() {
  std::optional<CalibrationJob::Result> done = calibration_.take_if_done();
  if (!done) return;
  detector_ = std::move(done->detector);
  if (!detector_) {
    failure_ = "calibration failed: " + done->error;
    status_.set_calibration_seconds(done->seconds);
    spdlog::error("drift detection off: {}", failure_);
  } else {
    // The next step's threshold, so the gauge is right before any traffic.
    metrics_.set_threshold(detector_->threshold_at(detector_->t() + 1));
    status_.set_calibrated(*detector_, done->seconds);
    spdlog::info(
        "drift detector ready: {} N={} D={} W={} ert={} sigma={} threshold={} ({}, {:.3f} s)",
        detector_->name(), detector_->reference_size(), detector_->dim(), detector_->window_size(),
        options_.params.ert, detector_->sigmas().front(), detector_->thresholds().back(),
        detector_->calibration_from_cache() ? "thresholds from cache" : "calibrated",
        done->seconds);
  }
  update_state();
}

void DriftStage::on_producer(const ring::SegmentInfo& info) {
  const std::size_t producer_dim = info.embedding_dim;
  if (reference_.collecting()) {
    // Warmup takes D from the producer; a new D restarts the collection.
    reference_.set_producer_dim(producer_dim);
    dim_ = reference_.dim();
    publish_reference();
  }
  const bool mismatch = dim_ != 0 && producer_dim != dim_;
  if (mismatch) {
    mismatch_ = fmt::format(
        "reference embeddings have D={} but the ring's producer (model {} {}) writes D={}; "
        "drift detection paused until a producer with D={} appears",
        dim_, info.model_name, info.model_version, producer_dim, dim_);
    if (!dim_mismatch_) spdlog::error("{}", mismatch_);
  } else {
    if (dim_mismatch_)
      spdlog::info("producer embedding dimension {} matches the reference again", producer_dim);
    mismatch_.clear();
  }
  dim_mismatch_ = mismatch;
  update_state();
}

void DriftStage::update_state() {
  State s;
  if (options_.reference.empty()) {
    s = State::kDisabled;
  } else if (!failure_.empty() || dim_mismatch_) {
    s = State::kError;
  } else if (detector_) {
    s = State::kReady;
  } else if (calibration_.running()) {
    s = State::kCalibrating;
  } else {
    s = State::kWarmup;
  }
  status_.set_error(!failure_.empty() ? failure_ : mismatch_);
  status_.set_state(s);
  metrics_.set_ready(s == State::kReady);
}

// Successful predictions with an embedding of the reference's dimension
// whose values the kernel can take; others are skipped, refused ones counted.
bool DriftStage::usable(const ring::Record& r) {
  if (r.fields.class_index < 0 || r.fields.http_status < 200 || r.fields.http_status >= 300 ||
      dim_ == 0 || r.embedding.size() != dim_)
    return false;
  const drift::EmbeddingProblem problem = drift::check_embedding(r.embedding.data(), dim_);
  if (problem == drift::EmbeddingProblem::kNone) return true;
  metrics_.add_rejected(problem);
  return false;
}

void DriftStage::feed(const ring::Record* records, std::size_t n) {
  const State s = status_.state();
  if (s == State::kWarmup) {
    for (std::size_t i = 0; i < n && reference_.collecting(); ++i) {
      if (usable(records[i])) reference_.add(records[i].embedding.data());
    }
    publish_reference();
    if (!reference_.collecting()) {
      start_calibration();
      update_state();
    }
    return;
  }
  if (s != State::kReady) return;

  // Step in chunks of options_.batch rows, one sgemm each.
  pending_.clear();
  pending_times_.clear();
  std::size_t rows = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!usable(records[i])) continue;
    pending_.insert(pending_.end(), records[i].embedding.begin(), records[i].embedding.end());
    // Whole seconds and the fraction apart: exact to the microsecond.
    const std::int64_t ns = records[i].fields.timestamp_ns;
    pending_times_.push_back(static_cast<double>(ns / 1'000'000'000) +
                             static_cast<double>(ns % 1'000'000'000) * 1e-9);
    if (++rows == options_.batch) {
      step_rows(pending_.data(), pending_times_.data(), rows);
      pending_.clear();
      pending_times_.clear();
      rows = 0;
    }
  }
  if (rows > 0) step_rows(pending_.data(), pending_times_.data(), rows);
}

void DriftStage::step_rows(const float* rows, const double* times, std::size_t n) {
  results_.resize(n);
  detector_->step_batch(rows, n, results_.data());
  for (std::size_t i = 0; i < n; ++i) {
    const drift::MmdStep& step = results_[i];
    switch (sustained_.observe(step.t, step.is_drift, times[i])) {
      case drift::SustainedDrift::Transition::kStarted:
        metrics_.add_episode();
        spdlog::warn("drift episode {} started at step {}: {:.0f}% of the last {} steps drifted",
                     sustained_.episodes(), step.t, 100.0 * sustained_.share(),
                     options_.sustained.share_steps);
        break;
      case drift::SustainedDrift::Transition::kEnded:
        spdlog::info("drift episode {} ended at step {} (share {:.3f})", sustained_.episodes(),
                     step.t, sustained_.share());
        break;
      case drift::SustainedDrift::Transition::kNone:
        break;
    }
  }
  metrics_.set_sustained(sustained_.share(), sustained_.active(), times[n - 1]);
  std::uint64_t events = 0;
  for (const drift::MmdStep& step : results_) {
    metrics_.observe_step(step.t, step.test_stat, step.threshold, step.is_drift);
    if (!step.is_drift) continue;
    ++events;
    log_drift_step(step);
  }
  status_.add_steps(results_.data(), n, events, sustained_);
}

// One line per second at most: a drifting stream exceeds the threshold at
// nearly every step.
void DriftStage::log_drift_step(const drift::MmdStep& step) {
  ++unlogged_events_;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_event_log_ < std::chrono::seconds(1)) return;
  spdlog::warn(
      "drift: test_stat {:.6g} > threshold {:.6g} at t={} ({} drift step(s) since the last "
      "line)",
      step.test_stat, step.threshold, step.t, unlogged_events_);
  last_event_log_ = now;
  unlogged_events_ = 0;
}

}  // namespace driftwatch::exporter
