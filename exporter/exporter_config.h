// ExporterConfig: every drift-exporter flag (docs/interfaces.md), parsed with
// Boost.program_options. Each flag also reads DRIFTWATCH_<FLAG> from the
// environment (upper case, '-' -> '_', e.g. DRIFTWATCH_N_BOOTSTRAPS); a flag
// on the command line wins over the environment.
//
// exporter_options() turns the flat config into the options of every part of
// the pipeline, in this one place; main.cpp only loads the config and wires
// the parts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <stdexcept>
#include <string>
#include <vector>

#include "exporter/drift/mmd_params.h"
#include "exporter/drift/sustained_drift.h"
#include "exporter/drift_stage_options.h"
#include "exporter/exporter_routes.h"
#include "exporter/feedback_stage.h"
#include "exporter/fleet/jetstream_source.h"
#include "exporter/fleet_publish.h"
#include "exporter/fleet_source_feed.h"
#include "exporter/http_server.h"
#include "exporter/record_fanout.h"
#include "exporter/ring_follower.h"
#include "shared/common/cli.h"
#include "shared/ring/segment_info.h"

namespace driftwatch::exporter {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ExporterConfig {
  std::string ring = ring::kDefaultRingName;
  std::string listen = "127.0.0.1";
  std::uint16_t port = 9400;
  std::string reference;  // "" (drift off), a .npy path, or warmup:N
  double ert = 1000.0;
  std::string detector = "mmd";  // drift::detector_names()
  std::size_t window = 20;
  std::vector<std::size_t> multi_windows;  // mmd-multi's windows; empty: W/2, W, 5W/2
  std::size_t n_bootstraps = 20000;
  std::vector<float> sigmas;  // empty: median heuristic
  std::uint64_t seed = 0;
  std::string cache;
  std::string log_level = "info";
  std::size_t drift_history = 5000;
  std::size_t drift_batch = 64;
  std::size_t read_batch = 256;
  std::size_t ring_retry_ms = 1000;
  int blas_threads = 1;
  // Sustained drift (drift/sustained_drift.h) and the warmup reference file.
  std::size_t drift_share_steps = 500;
  double drift_on = 0.5;
  double drift_off = 0.1;
  std::string reference_save;
  // Fleet records to NATS JetStream (docs/fleet.md): "" (off) or nats://HOST:PORT.
  std::string publish;
  std::string publish_subject;  // "" : driftwatch.<model>.<version>.records
  std::string replica_id;       // "" : the host name (the pod name in Kubernetes)
  // Feedback labels joined to predictions (docs/feedback.md).
  std::size_t feedback_table_size = FeedbackJoin::Options{}.capacity;
  std::uint64_t feedback_max_age = FeedbackJoin::Options{}.max_age.count();  // seconds
  std::size_t feedback_accuracy_window = FeedbackStageOptions{}.accuracy_window;
  // The fleet detector (docs/fleet.md): "" (read the ring) or nats://HOST:PORT,
  // a durable consumer of one model's records subject instead of a ring.
  std::string source;
  std::string source_subject;  // required with --source
  std::string source_stream = "DRIFTWATCH";
  std::string source_durable = "fleet-detector";
};

// Parses argv and the DRIFTWATCH_* environment into `config`
// (common::parse_cli), then checks every value. --help and --version go to
// `out`; an unknown flag or a bad value is one line on `err`.
common::CliOutcome parse_exporter_config(int argc, const char* const argv[], ExporterConfig& config,
                                         std::ostream& out, std::ostream& err);

// The sustained-drift options of the config.
drift::SustainedDriftOptions sustained_drift_options(const ExporterConfig& config);
// The detector's parameters of the config (validated by drift::validate_mmd_params).
drift::MmdParams mmd_params(const ExporterConfig& config);

// The options of each part, in pipeline order: the ring's (follower,
// fanout, publish) or, with --source, the fleet detector's (source,
// source_feed).
struct ExporterOptions {
  RingFollower::Options follower;
  RecordFanout::Options fanout;
  fleet::SourceOptions source;
  FleetSourceFeed::Options source_feed;
  DriftStageOptions drift;
  FleetPublishOptions publish;
  FeedbackStageOptions feedback;
  HttpServer::Options http;  // on_accept_error is wired by main
  ExporterRoutes::Options routes;
};
ExporterOptions exporter_options(const ExporterConfig& config);

// True for the fleet detector (--source): records come from JetStream, not a ring.
inline bool reads_fleet_source(const ExporterConfig& config) { return !config.source.empty(); }

// "/metrics"-style summary of the effective configuration for the start log.
std::string describe(const ExporterConfig& config);

}  // namespace driftwatch::exporter
