#include "exporter/drift_monitor.h"

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <optional>
#include <utility>

#include "exporter/drift/calibrate_or_load.h"
#include "exporter/drift/embedding_check.h"
#include "exporter/saved_reference.h"
#include "shared/common/json_string.h"
#include "shared/common/npy.h"

namespace driftwatch::exporter {
namespace {

constexpr const char* kWarmupPrefix = "warmup:";

// Thrown from the progress callback to abandon a calibration at shutdown.
struct CalibrationCancelled {};

std::string shape_text(const std::vector<std::size_t>& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

std::size_t parse_warmup_rows(const std::string& spec) {
  const std::string digits = spec.substr(std::char_traits<char>::length(kWarmupPrefix));
  std::size_t pos = 0;
  unsigned long long v = 0;
  try {
    v = std::stoull(digits, &pos);
  } catch (const std::exception&) {
    pos = 0;
  }
  if (digits.empty() || pos != digits.size() || v == 0 || digits[0] == '-') {
    throw DriftConfigError("--reference " + spec + ": expected warmup:N with N a positive count");
  }
  return static_cast<std::size_t>(v);
}

}  // namespace

const char* DriftMonitor::state_name(State s) {
  switch (s) {
    case State::kDisabled:
      return "disabled";
    case State::kWarmup:
      return "warmup";
    case State::kCalibrating:
      return "calibrating";
    case State::kReady:
      return "ready";
    case State::kError:
      return "error";
  }
  return "unknown";
}

DriftMonitor::DriftMonitor(DriftMonitorOptions options, ExporterMetrics& metrics)
    : options_(std::move(options)),
      metrics_(metrics),
      signal_metrics_(*metrics.registry()),
      sustained_(options_.sustained) {
  metrics_.set_detector_ready(false);
  signal_metrics_.set_enabled(!options_.reference.empty());
  if (options_.batch == 0) options_.batch = 1;
  const std::string& ref = options_.reference;
  if (ref.empty()) {
    spdlog::warn("no --reference given: drift detection is off (metrics only)");
    update_state();
    return;
  }
  // alibi-detect's advice: the thresholds are the (1 - 1/ert) quantiles of
  // n_bootstraps samples; with fewer than ~10 samples beyond the quantile
  // they are noisy and the real false-step rate misses 1/ert.
  if (static_cast<double>(options_.params.n_bootstraps) < 10.0 * options_.params.ert) {
    spdlog::warn(
        "--n-bootstraps {} is below 10 x --ert ({}): the thresholds are noisy and the "
        "false-step rate may differ from 1/ert; use at least {}",
        options_.params.n_bootstraps, options_.params.ert,
        static_cast<std::uint64_t>(std::ceil(10.0 * options_.params.ert)));
  }
  if (ref.rfind(kWarmupPrefix, 0) == 0) {
    warmup_rows_ = parse_warmup_rows(ref);
    try {
      drift::validate_detector_params(options_.detector, options_.params, warmup_rows_);
    } catch (const std::invalid_argument& e) {
      throw DriftConfigError("--reference " + ref + ": " + e.what());
    }
    {
      std::lock_guard lock(mutex_);
      reference_rows_ = warmup_rows_;
    }
    if (load_saved_warmup()) return;
    spdlog::info("drift reference: the first {} successful predictions (warmup){}", warmup_rows_,
                 options_.reference_save.empty() ? "; not saved (no --reference-save)"
                                                 : ", to be saved to " + options_.reference_save);
    update_state();
    return;
  }

  common::NpyArray array;
  try {
    array = common::read_npy(ref);
  } catch (const common::NpyError& e) {
    throw DriftConfigError(std::string("reference: ") + e.what());
  }
  if (array.dtype != common::NpyDtype::kFloat32) {
    throw DriftConfigError("reference " + ref + " has dtype " + common::npy_descr(array.dtype) +
                           "; expected float32 ('<f4') embeddings, e.g. "
                           "numpy.save(path, x.astype(numpy.float32))");
  }
  if (array.shape.size() != 2 || array.shape[1] == 0) {
    throw DriftConfigError("reference " + ref + " has shape " + shape_text(array.shape) +
                           "; expected a 2-D array [N, D] of N embeddings");
  }
  const std::size_t rows = array.shape[0];
  const std::size_t cols = array.shape[1];
  std::vector<float> values = array.to_float32();
  if (const auto bad = drift::first_bad_row(values.data(), rows, cols)) {
    throw DriftConfigError("reference " + ref + ": row " + std::to_string(*bad) +
                           " holds a NaN, an infinity or a value too large for the kernel; "
                           "a reference must be finite embeddings");
  }
  try {
    drift::validate_detector_params(options_.detector, options_.params, rows);
  } catch (const std::invalid_argument& e) {
    throw DriftConfigError("reference " + ref + " [" + std::to_string(rows) + ", " +
                           std::to_string(cols) + "]: " + e.what());
  }
  dim_ = cols;
  {
    std::lock_guard lock(mutex_);
    reference_rows_ = rows;
    dim_snapshot_ = cols;
  }
  spdlog::info("drift reference: {} [{}, {}] float32", ref, rows, cols);
  start_calibration(std::move(values), rows, cols);
}

bool DriftMonitor::load_saved_warmup() {
  if (options_.reference_save.empty()) return false;
  std::optional<SavedReference> saved = load_saved_reference(options_.reference_save, warmup_rows_);
  if (!saved) return false;
  dim_ = saved->dim;
  {
    std::lock_guard lock(mutex_);
    dim_snapshot_ = dim_;
    warmup_collected_ = saved->count;
    reference_reused_ = true;
  }
  spdlog::info(
      "drift reference: {} [{}, {}] saved by an earlier warmup (delete the file to learn a new "
      "reference from traffic)",
      options_.reference_save, saved->count, saved->dim);
  start_calibration(std::move(saved->rows), saved->count, saved->dim);
  return true;
}

void DriftMonitor::finish_warmup() {
  spdlog::info("warmup complete: {} embeddings of D={}", warmup_rows_, dim_);
  if (!options_.reference_save.empty()) {
    std::string error;
    try {
      save_reference(options_.reference_save, warmup_.data(), warmup_rows_, dim_);
      spdlog::info("warmup reference saved to {}; a restart reuses it", options_.reference_save);
    } catch (const std::exception& e) {
      error = e.what();
      spdlog::error("warmup reference not saved ({}); a restart will learn a new one", error);
    }
    std::lock_guard lock(mutex_);
    save_error_ = error;
  }
  start_calibration(std::move(warmup_), warmup_rows_, dim_);
  warmup_ = {};
}

DriftMonitor::~DriftMonitor() {
  stop_.store(true, std::memory_order_relaxed);
  if (calibration_thread_.joinable()) calibration_thread_.join();
}

void DriftMonitor::start_calibration(std::vector<float> reference, std::size_t rows,
                                     std::size_t dim) {
  calibrating_ = true;
  update_state();
  spdlog::info(
      "calibrating drift thresholds: detector {} N={} D={} W={} ert={} n_bootstraps={} "
      "seed={}{}",
      options_.detector, rows, dim, options_.params.window_size, options_.params.ert,
      options_.params.n_bootstraps, options_.params.seed,
      options_.cache_path.empty() ? "" : " cache " + options_.cache_path);
  calibration_thread_ = std::thread([this, reference = std::move(reference), rows, dim] {
    drift::OnlineMmdOptions o;
    o.params = options_.params;
    std::size_t next_log = 10;
    o.progress = [this, &next_log](std::size_t done, std::size_t total) {
      if (stop_.load(std::memory_order_relaxed)) throw CalibrationCancelled{};
      {
        std::lock_guard lock(mutex_);
        calibration_done_ = done;
      }
      const std::size_t percent = total ? done * 100 / total : 100;
      if (percent >= next_log) {
        spdlog::info("calibrating drift thresholds: {}% ({}/{} bootstrap permutations)", percent,
                     done, total);
        while (next_log <= percent) next_log += 10;
      }
    };
    const auto start = std::chrono::steady_clock::now();
    std::unique_ptr<drift::DriftDetector> detector;
    std::string error;
    try {
      detector = drift::calibrate_or_load(options_.detector, reference.data(), rows, dim, o,
                                          options_.cache_path);
    } catch (const CalibrationCancelled&) {
      return;
    } catch (const std::exception& e) {
      error = e.what();
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    {
      std::lock_guard lock(mutex_);
      calibration_seconds_ = seconds;
      calibration_error_ = error;
    }
    calibrated_detector_ = std::move(detector);
    // Publishes calibrated_detector_ and calibration_error_ to the pipeline
    // thread (pairs with the acquire load in adopt_calibrated_detector).
    calibrated_.store(true, std::memory_order_release);
  });
}

void DriftMonitor::adopt_calibrated_detector() {
  if (!calibrating_ || !calibrated_.load(std::memory_order_acquire)) return;
  calibrating_ = false;
  calibration_thread_.join();
  detector_ = std::move(calibrated_detector_);
  if (!detector_) {
    std::lock_guard lock(mutex_);
    failure_ = "calibration failed: " + calibration_error_;
  } else {
    // The next step's threshold, so the gauge is right before any traffic.
    metrics_.set_drift_threshold(detector_->threshold_at(detector_->t() + 1));
    std::lock_guard lock(mutex_);
    thresholds_ = detector_->thresholds();
    sigmas_ = detector_->sigmas();
    from_cache_ = detector_->calibration_from_cache();
  }
  if (detector_) {
    spdlog::info(
        "drift detector ready: {} N={} D={} W={} ert={} sigma={} threshold={} ({}, {:.3f} s)",
        detector_->name(), detector_->reference_size(), detector_->dim(), detector_->window_size(),
        options_.params.ert, detector_->sigmas().front(), detector_->thresholds().back(),
        detector_->calibration_from_cache() ? "thresholds from cache" : "calibrated",
        calibration_seconds_);
  } else {
    spdlog::error("drift detection off: {}", failure_);
  }
  update_state();
}

void DriftMonitor::on_producer(const ring::SegmentInfo& info) {
  producer_dim_ = info.embedding_dim;
  have_producer_ = true;
  if (warmup_rows_ > 0 && !reference_reused_ && !detector_ && !calibrating_ &&
      dim_ != producer_dim_) {
    // Warmup takes D from the producer; a new D restarts the collection.
    if (!warmup_.empty()) {
      spdlog::warn("producer embedding dimension changed ({} -> {}); restarting warmup", dim_,
                   producer_dim_);
    }
    warmup_.clear();
    dim_ = producer_dim_;
    std::lock_guard lock(mutex_);
    dim_snapshot_ = dim_;
    warmup_collected_ = 0;
    if (dim_ == 0) spdlog::warn("the producer writes no embeddings; warmup cannot collect any");
  }
  const bool mismatch = dim_ != 0 && producer_dim_ != dim_;
  if (mismatch) {
    const std::string msg = fmt::format(
        "reference embeddings have D={} but the ring's producer (model {} {}) writes D={}; "
        "drift detection paused until a producer with D={} appears",
        dim_, info.model_name, info.model_version, producer_dim_, dim_);
    if (!dim_mismatch_) spdlog::error("{}", msg);
    std::lock_guard lock(mutex_);
    mismatch_ = msg;
  } else {
    if (dim_mismatch_)
      spdlog::info("producer embedding dimension {} matches the reference again", producer_dim_);
    std::lock_guard lock(mutex_);
    mismatch_.clear();
  }
  dim_mismatch_ = mismatch;
  update_state();
}

void DriftMonitor::update_state() {
  State s;
  if (options_.reference.empty()) {
    s = State::kDisabled;
  } else if (!failure_.empty() || dim_mismatch_) {
    s = State::kError;
  } else if (detector_) {
    s = State::kReady;
  } else if (calibrating_) {
    s = State::kCalibrating;
  } else {
    s = State::kWarmup;
  }
  state_.store(s, std::memory_order_release);
  metrics_.set_detector_ready(s == State::kReady);
}

void DriftMonitor::feed(const ring::Record* records, std::size_t n) {
  adopt_calibrated_detector();
  const State s = state();
  if (s != State::kReady && s != State::kWarmup) return;
  // Successful predictions with an embedding of the reference's dimension
  // whose values the kernel can take; others are skipped, refused ones counted.
  const auto usable = [this](const ring::Record& r) {
    if (r.fields.class_index < 0 || r.fields.http_status < 200 || r.fields.http_status >= 300 ||
        dim_ == 0 || r.embedding.size() != dim_)
      return false;
    const drift::EmbeddingProblem problem = drift::check_embedding(r.embedding.data(), dim_);
    if (problem == drift::EmbeddingProblem::kNone) return true;
    signal_metrics_.add_rejected(problem);
    return false;
  };

  if (s == State::kWarmup) {
    std::size_t collected = warmup_.size() / (dim_ ? dim_ : 1);
    for (std::size_t i = 0; i < n && collected < warmup_rows_; ++i) {
      if (!usable(records[i])) continue;
      warmup_.insert(warmup_.end(), records[i].embedding.begin(), records[i].embedding.end());
      ++collected;
    }
    {
      std::lock_guard lock(mutex_);
      warmup_collected_ = collected;
    }
    if (collected == warmup_rows_) finish_warmup();
    return;
  }

  // Ready: step in chunks of options_.batch rows, one sgemm each.
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

void DriftMonitor::step_rows(const float* rows, const double* times, std::size_t n) {
  results_.resize(n);
  detector_->step_batch(rows, n, results_.data());
  std::uint64_t events = 0;
  std::unique_lock lock(mutex_);
  for (std::size_t i = 0; i < n; ++i) {
    const drift::MmdStep& step = results_[i];
    switch (sustained_.observe(step.t, step.is_drift, times[i])) {
      case drift::SustainedDrift::Transition::kStarted:
        signal_metrics_.add_episode();
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
  signal_metrics_.set(sustained_.share(), sustained_.active(), times[n - 1]);
  lock.unlock();
  for (const drift::MmdStep& step : results_) {
    metrics_.observe_drift_step(step.t, step.test_stat, step.threshold, step.is_drift);
    if (!step.is_drift) continue;
    ++events;
    ++unlogged_events_;
    // One line per second at most: a drifting stream exceeds the threshold
    // at nearly every step.
    const auto now = std::chrono::steady_clock::now();
    if (now - last_event_log_ >= std::chrono::seconds(1)) {
      spdlog::warn(
          "drift: test_stat {:.6g} > threshold {:.6g} at t={} ({} drift step(s) since "
          "the last line)",
          step.test_stat, step.threshold, step.t, unlogged_events_);
      last_event_log_ = now;
      unlogged_events_ = 0;
    }
  }
  steps_.fetch_add(n, std::memory_order_relaxed);
  events_.fetch_add(events, std::memory_order_relaxed);
  lock.lock();
  const std::size_t keep = options_.history;
  const std::size_t first = n > keep ? n - keep : 0;
  for (std::size_t i = first; i < n; ++i) history_.push_back(results_[i]);
  while (history_.size() > keep) history_.pop_front();
}

std::string DriftMonitor::to_json(std::uint64_t since, bool with_steps) const {
  const State s = state();
  std::vector<drift::MmdStep> steps;
  std::string out;
  std::unique_lock lock(mutex_);
  if (with_steps) {
    // history_ is in t order: the first step past `since` by binary search.
    const auto first =
        std::upper_bound(history_.begin(), history_.end(), since,
                         [](std::uint64_t v, const drift::MmdStep& step) { return v < step.t; });
    steps.assign(first, history_.end());
  }
  out.reserve(1024 + steps.size() * 80);
  out += "{\"state\":";
  common::append_json_string(out, state_name(s));
  out += ",\"error\":";
  const std::string& error = !failure_.empty() ? failure_ : mismatch_;
  if (error.empty()) {
    out += "null";
  } else {
    common::append_json_string(out, error);
  }
  out += ",\"reference\":{\"source\":";
  common::append_json_string(
      out, warmup_rows_ > 0 ? "warmup" : (options_.reference.empty() ? "none" : "file"));
  out += ",\"path\":";
  if (warmup_rows_ == 0 && !options_.reference.empty()) {
    common::append_json_string(out, options_.reference);
  } else {
    out += "null";
  }
  out += fmt::format(",\"size\":{},\"dim\":{}", reference_rows_, dim_snapshot_);
  if (warmup_rows_ > 0) {
    out += fmt::format(",\"warmup_collected\":{},\"saved_to\":", warmup_collected_);
    if (options_.reference_save.empty()) {
      out += "null";
    } else {
      common::append_json_string(out, options_.reference_save);
    }
    out += fmt::format(",\"reused_saved\":{},\"save_error\":", reference_reused_);
    if (save_error_.empty()) {
      out += "null";
    } else {
      common::append_json_string(out, save_error_);
    }
  }
  out += "},\"parameters\":{";
  out += "\"detector\":";
  common::append_json_string(out, options_.detector);
  out += fmt::format(",\"window_size\":{},\"ert\":", options_.params.window_size);
  common::append_json_number(out, options_.params.ert);
  out += fmt::format(",\"n_bootstraps\":{},\"seed\":{},\"sigma\":", options_.params.n_bootstraps,
                     options_.params.seed);
  // The bandwidths in use once calibrated; before that, the given ones (or
  // null for the median heuristic).
  const std::vector<float>& sigmas = sigmas_.empty() ? options_.params.sigmas : sigmas_;
  if (sigmas.empty()) {
    out += "null";
  } else {
    out += '[';
    for (std::size_t i = 0; i < sigmas.size(); ++i) {
      if (i) out += ',';
      common::append_json_number(out, sigmas[i]);
    }
    out += ']';
  }
  out += ",\"sigma_source\":";
  common::append_json_string(out, options_.params.sigmas.empty() ? "median_heuristic" : "given");
  out += ",\"cache\":";
  if (options_.cache_path.empty()) {
    out += "null";
  } else {
    common::append_json_string(out, options_.cache_path);
  }
  out += "},\"calibration\":{";
  out += fmt::format("\"bootstraps_done\":{},\"seconds\":", calibration_done_);
  common::append_json_number(out, calibration_seconds_);
  out += fmt::format(",\"from_cache\":{}", from_cache_ ? "true" : "false");
  out += ",\"thresholds\":[";
  for (std::size_t i = 0; i < thresholds_.size(); ++i) {
    if (i) out += ',';
    common::append_json_number(out, thresholds_[i]);
  }
  out += "]}";
  out += ",\"sustained\":";
  sustained_.append_json(out);
  out += fmt::format(",\"t\":{},\"drift_events\":{},\"history\":{},\"steps\":[",
                     steps_.load(std::memory_order_relaxed),
                     events_.load(std::memory_order_relaxed), options_.history);
  lock.unlock();
  bool first = true;
  for (const drift::MmdStep& step : steps) {
    if (!first) out += ',';
    first = false;
    out += fmt::format("{{\"t\":{},\"test_stat\":", step.t);
    common::append_json_number(out, step.test_stat);
    out += ",\"threshold\":";
    common::append_json_number(out, step.threshold);
    out += fmt::format(",\"is_drift\":{}}}", step.is_drift ? "true" : "false");
  }
  out += "]}";
  return out;
}

}  // namespace driftwatch::exporter
