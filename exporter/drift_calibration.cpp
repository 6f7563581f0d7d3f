#include "exporter/drift_calibration.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <exception>
#include <utility>

#include "exporter/drift/calibrate_or_load.h"
#include "exporter/drift/online_mmd.h"

namespace driftwatch::exporter {
namespace {

// Thrown from the progress callback to abandon a calibration at shutdown.
struct CalibrationCancelled {};

}  // namespace

CalibrationJob::CalibrationJob(std::string detector, drift::MmdParams params,
                               std::string cache_path, Progress progress)
    : detector_(std::move(detector)),
      params_(std::move(params)),
      cache_path_(std::move(cache_path)),
      progress_(std::move(progress)) {}

CalibrationJob::~CalibrationJob() {
  stop_.store(true, std::memory_order_relaxed);
  if (thread_.joinable()) thread_.join();
}

void CalibrationJob::start(ReferenceRows reference) {
  running_ = true;
  result_ = {};
  spdlog::info(
      "calibrating drift thresholds: detector {} N={} D={} W={} ert={} n_bootstraps={} "
      "seed={}{}",
      detector_, reference.count, reference.dim, params_.window_size, params_.ert,
      params_.n_bootstraps, params_.seed, cache_path_.empty() ? "" : " cache " + cache_path_);
  thread_ = std::thread([this, reference = std::move(reference)] { run(reference); });
}

void CalibrationJob::run(const ReferenceRows& reference) {
  drift::OnlineMmdOptions o;
  o.params = params_;
  std::size_t next_log = 10;
  o.progress = [this, &next_log](std::size_t done, std::size_t total) {
    if (stop_.load(std::memory_order_relaxed)) throw CalibrationCancelled{};
    if (progress_) progress_(done);
    const std::size_t percent = total ? done * 100 / total : 100;
    if (percent >= next_log) {
      spdlog::info("calibrating drift thresholds: {}% ({}/{} bootstrap permutations)", percent,
                   done, total);
      while (next_log <= percent) next_log += 10;
    }
  };
  const auto start = std::chrono::steady_clock::now();
  try {
    result_.detector = drift::calibrate_or_load(detector_, reference.rows.data(), reference.count,
                                                reference.dim, o, cache_path_);
  } catch (const CalibrationCancelled&) {
    return;
  } catch (const std::exception& e) {
    result_.error = e.what();
  }
  result_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // Publishes result_ to the owner thread (pairs with the acquire load in
  // take_if_done).
  done_.store(true, std::memory_order_release);
}

std::optional<CalibrationJob::Result> CalibrationJob::take_if_done() {
  if (!running_ || !done_.load(std::memory_order_acquire)) return std::nullopt;
  running_ = false;
  thread_.join();
  done_.store(false, std::memory_order_relaxed);
  return std::move(result_);
}

}  // namespace driftwatch::exporter
