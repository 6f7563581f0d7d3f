#include "exporter/exporter_config.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <sstream>

#include "exporter/drift/drift_detector.h"
#include "exporter/drift/sustained_drift.h"
#include "exporter/fleet/fleet_record.h"
#include "exporter/fleet/stream_settings.h"
#include "shared/common/cli.h"

namespace driftwatch::exporter {
namespace po = boost::program_options;

namespace {

// JetStream stream and consumer names: no '.', '*', '>' or whitespace.
void check_jetstream_name(const std::string& name, const char* flag) {
  if (name.empty() || name.find_first_of(".*> \t\r\n") != std::string::npos) {
    throw ConfigError(std::string(flag) + " '" + name +
                      "' must be non-empty without '.', '*', '>' or spaces");
  }
}

// The fleet detector's flags (--source and the ones that go with it).
void validate_source(const ExporterConfig& c) {
  if (c.source.empty()) {
    if (!c.source_subject.empty()) throw ConfigError("--source-subject only applies to --source");
    return;
  }
  std::string why;
  if (!fleet::valid_nats_url(c.source, why)) throw ConfigError("--source: " + why);
  if (!c.publish.empty()) {
    throw ConfigError("--source reads the fleet's records; it does not publish (--publish)");
  }
  if (c.source_subject.empty()) {
    throw ConfigError(
        "--source needs --source-subject, one model's records subject (e.g. "
        "driftwatch.<model>.<version>.records, what its replicas publish to)");
  }
  if (!fleet::valid_subject(c.source_subject, why)) throw ConfigError("--source-subject: " + why);
  if (c.reference.empty()) {
    throw ConfigError(
        "--source runs the fleet's detector: it needs --reference (a .npy or warmup:N)");
  }
  check_jetstream_name(c.source_stream, "--source-stream");
  check_jetstream_name(c.source_durable, "--source-durable");
}

// Every check of a value, one place per parameter. Throws ConfigError.
void validate(ExporterConfig& c, unsigned port, const std::string& sigma,
              const std::string& multi_windows) {
  // "none" says it in a manifest: a per-replica exporter that only publishes.
  if (c.reference == "none") c.reference.clear();
  if (port > 65535) throw ConfigError("--port " + std::to_string(port) + " is out of range");
  c.port = static_cast<std::uint16_t>(port);
  if (!sigma.empty()) {
    try {
      c.sigmas = common::parse_positive_list(sigma, "sigma");
    } catch (const std::invalid_argument& e) {
      throw ConfigError(e.what());
    }
  }
  if (c.ring.empty()) throw ConfigError("--ring must not be empty");
  const auto& names = drift::detector_names();
  if (std::find(names.begin(), names.end(), c.detector) == names.end()) {
    throw ConfigError("--detector '" + c.detector + "' is not a detector (expected " +
                      drift::detector_names_text() + ")");
  }
  if (!multi_windows.empty()) {
    if (c.detector != "mmd-multi")
      throw ConfigError("--multi-windows only applies to --detector mmd-multi");
    try {
      c.multi_windows = common::parse_count_list(multi_windows, "multi-windows");
    } catch (const std::invalid_argument& e) {
      throw ConfigError(e.what());
    }
  }
  try {
    drift::validate_mmd_params(mmd_params(c));
  } catch (const std::invalid_argument& e) {
    throw ConfigError(e.what());
  }
  if (c.drift_batch == 0) throw ConfigError("--drift-batch must be at least 1");
  if (c.drift_history == 0 || c.drift_history > 1'000'000) {
    throw ConfigError("--drift-history must be between 1 and 1000000");
  }
  if (c.read_batch == 0) throw ConfigError("--read-batch must be at least 1");
  std::string why;
  if (!c.publish.empty() && !fleet::valid_nats_url(c.publish, why)) {
    throw ConfigError("--publish: " + why);
  }
  if (!c.publish_subject.empty() && !fleet::valid_subject(c.publish_subject, why)) {
    throw ConfigError("--publish-subject: " + why);
  }
  if (c.replica_id.size() > fleet::kMaxReplicaIdBytes) {
    throw ConfigError("--replica-id is longer than 255 bytes");
  }
  validate_source(c);
  if (c.blas_threads < 1) throw ConfigError("--blas-threads must be at least 1");
  if (c.feedback_table_size < FeedbackJoin::kMinCapacity || c.feedback_table_size > 1'000'000'000) {
    throw ConfigError("--feedback-table-size must be between 1024 and 1000000000");
  }
  if (c.feedback_max_age == 0 || c.feedback_max_age > 10ULL * 365 * 24 * 3600) {
    throw ConfigError("--feedback-max-age must be between 1 and 315360000 seconds");
  }
  if (c.feedback_accuracy_window == 0 || c.feedback_accuracy_window > 1'000'000) {
    throw ConfigError("--feedback-accuracy-window must be between 1 and 1000000");
  }
  try {
    drift::validate_sustained_drift_options(sustained_drift_options(c));
  } catch (const std::invalid_argument& e) {
    throw ConfigError(e.what());
  }
  if (!c.reference_save.empty() && c.reference.rfind("warmup:", 0) != 0) {
    throw ConfigError("--reference-save only applies to --reference warmup:N");
  }
  static const char* const kLevels[] = {"trace", "debug",    "info", "warn",
                                        "error", "critical", "off"};
  bool level_ok = false;
  for (const char* level : kLevels) level_ok |= c.log_level == level;
  if (!level_ok) throw ConfigError("--log-level '" + c.log_level + "' is not a known level");
}

}  // namespace

common::CliOutcome parse_exporter_config(int argc, const char* const argv[], ExporterConfig& c,
                                         std::ostream& out, std::ostream& err) {
  const common::CliProgram program{
      "drift-exporter",
      "drift-exporter: reads the driftwatch ring, keeps the Prometheus metrics, runs the online\n"
      "MMD drift detector, joins feedback labels to predictions and serves /metrics, /healthz,\n"
      "/drift, /predictions, /feedback and the pages at /.\n"
      "With --source nats://HOST:PORT it is the fleet detector instead: one detector over the\n"
      "records every replica's exporter publishes (--publish), drift_* with scope=\"fleet\".\n\n"
      "Usage: drift-exporter [options]\n",
      "",
      {}};
  std::string sigma, multi_windows;
  unsigned port = c.port;
  po::options_description desc("Options");
  // clang-format off
  desc.add_options()
    ("ring", po::value(&c.ring)->default_value(c.ring),
     "ring name: /NAME is POSIX shm (/dev/shm/NAME), a path with another '/' a plain file")
    ("listen", po::value(&c.listen)->default_value(c.listen), "HTTP listen address")
    ("port", po::value(&port)->default_value(port), "HTTP port (0: any free port)")
    ("reference", po::value(&c.reference),
     "reference embeddings: float32 .npy [N, D], warmup:N (the first N successful "
     "predictions); none: drift detection off")
    ("ert", po::value(&c.ert)->default_value(c.ert),
     "expected run time between false drift events, in detector steps")
    ("detector", po::value(&c.detector)->default_value(c.detector),
     (drift::detector_names_text() + ": mmd is alibi-detect's MMDDriftOnline; mmd-multi "
      "watches windows W/2, W and 5W/2 at once (docs/drift.md)").c_str())
    ("window", po::value(&c.window)->default_value(c.window), "test window size W")
    ("multi-windows", po::value(&multi_windows),
     "mmd-multi's windows, ascending and comma-separated (e.g. 10,20,50,100,200 for slow "
     "drifts at a high --ert); default: W/2, W and 5W/2")
    ("n-bootstraps", po::value(&c.n_bootstraps)->default_value(c.n_bootstraps),
     "bootstrap permutations for the thresholds")
    ("sigma", po::value(&sigma),
     "RBF kernel bandwidth(s), comma-separated (averaged); default: median heuristic")
    ("seed", po::value(&c.seed)->default_value(c.seed), "seed of the calibration permutations")
    ("cache", po::value(&c.cache), "thresholds cache file (default: none, calibrate every start)")
    ("log-level", po::value(&c.log_level)->default_value(c.log_level),
     "trace, debug, info, warn, error, critical or off")
    ("drift-history", po::value(&c.drift_history)->default_value(c.drift_history),
     "detector steps kept for GET /drift and its page")
    ("drift-batch", po::value(&c.drift_batch)->default_value(c.drift_batch),
     "embeddings per detector batch (one matrix product each)")
    ("read-batch", po::value(&c.read_batch)->default_value(c.read_batch),
     "records read from the ring per pipeline iteration")
    ("ring-retry-ms", po::value(&c.ring_retry_ms)->default_value(c.ring_retry_ms),
     "how often a missing ring is looked for again")
    ("blas-threads", po::value(&c.blas_threads)->default_value(c.blas_threads),
     "OpenBLAS threads for the detector's matrix products")
    ("drift-share-steps", po::value(&c.drift_share_steps)->default_value(c.drift_share_steps),
     "M: drift_share is the fraction of the last M detector steps with is_drift")
    ("drift-on", po::value(&c.drift_on)->default_value(c.drift_on),
     "drift_active turns on (a new episode) when drift_share >= this")
    ("drift-off", po::value(&c.drift_off)->default_value(c.drift_off),
     "drift_active turns off again when drift_share < this (below --drift-on)")
    ("publish", po::value(&c.publish),
     "publish successful predictions to NATS JetStream at nats://HOST:PORT (docs/fleet.md)")
    ("publish-subject", po::value(&c.publish_subject),
     "subject of --publish (default driftwatch.<model>.<version>.records)")
    ("replica-id", po::value(&c.replica_id), "this replica's name in fleet records (default: host name)")
    ("source", po::value(&c.source),
     "be the fleet detector: read every replica's records from NATS JetStream at "
     "nats://HOST:PORT instead of a ring (durable consumer; docs/fleet.md)")
    ("source-subject", po::value(&c.source_subject),
     "with --source: the model's records subject, driftwatch.<model>.<version>.records")
    ("source-stream", po::value(&c.source_stream)->default_value(c.source_stream),
     "with --source: the JetStream stream (created when missing)")
    ("source-durable", po::value(&c.source_durable)->default_value(c.source_durable),
     "with --source: the durable consumer's name (its position survives restarts)")
    ("reference-save", po::value(&c.reference_save),
     "with --reference warmup:N: save the learned reference here and reuse it on restart "
     "(default: none, learn again at every start)")
    ("feedback-table-size", po::value(&c.feedback_table_size)->default_value(c.feedback_table_size),
     "recent request ids kept for joining feedback labels, 16 bytes each (the default: 25 h "
     "at 50 req/s, 72 MB when full)")
    ("feedback-max-age", po::value(&c.feedback_max_age)->default_value(c.feedback_max_age),
     "seconds after its prediction a label is still joined (later: expired)")
    ("feedback-accuracy-window",
     po::value(&c.feedback_accuracy_window)->default_value(c.feedback_accuracy_window),
     "K: model_accuracy{source} is over the last K joined labels of each source");
  // clang-format on

  po::variables_map vm;
  const common::CliOutcome outcome = common::parse_cli(program, desc, argc, argv, vm, out, err);
  if (outcome != common::CliOutcome::kRun) return outcome;
  try {
    validate(c, port, sigma, multi_windows);
  } catch (const ConfigError& e) {
    err << "drift-exporter: " << e.what() << "\n(see --help)\n";
    return common::CliOutcome::kExitError;
  }
  return common::CliOutcome::kRun;
}

drift::SustainedDriftOptions sustained_drift_options(const ExporterConfig& c) {
  drift::SustainedDriftOptions o;
  o.share_steps = c.drift_share_steps;
  o.on_share = c.drift_on;
  o.off_share = c.drift_off;
  return o;
}

drift::MmdParams mmd_params(const ExporterConfig& c) {
  drift::MmdParams p;
  p.window_size = c.window;
  p.ert = c.ert;
  p.n_bootstraps = c.n_bootstraps;
  p.sigmas = c.sigmas;
  p.seed = c.seed;
  p.windows = c.multi_windows;
  return p;
}

ExporterOptions exporter_options(const ExporterConfig& c) {
  ExporterOptions o;
  o.follower.reader.name = c.ring;
  o.follower.retry_interval = std::chrono::milliseconds(c.ring_retry_ms);
  o.fanout.batch_size = c.read_batch;
  o.drift.reference = c.reference;
  o.drift.detector = c.detector;
  o.drift.params = mmd_params(c);
  o.drift.cache_path = c.cache;
  o.drift.history = c.drift_history;
  o.drift.batch = c.drift_batch;
  o.drift.sustained = sustained_drift_options(c);
  o.drift.reference_save = c.reference_save;
  o.publish.url = c.publish;
  o.publish.subject = c.publish_subject;
  o.publish.replica_id = c.replica_id;
  o.feedback.table.capacity = c.feedback_table_size;
  o.feedback.table.max_age = std::chrono::seconds(c.feedback_max_age);
  o.feedback.accuracy_window = c.feedback_accuracy_window;
  o.source.url = c.source;
  o.source.subject = c.source_subject;
  o.source.durable = c.source_durable;
  o.source.stream.name = c.source_stream;
  o.source.fetch_batch = c.read_batch;
  o.source.max_ack_pending =
      std::max<std::int64_t>(o.source.max_ack_pending, static_cast<std::int64_t>(c.read_batch));
  o.source_feed.batch_size = c.read_batch;
  o.source_feed.subject = c.source_subject;
  o.http.address = c.listen;
  o.http.port = c.port;
  o.routes.ring_name = c.source.empty() ? c.ring : c.source + " " + c.source_subject;
  return o;
}

std::string describe(const ExporterConfig& c) {
  std::string sigma;
  for (std::size_t i = 0; i < c.sigmas.size(); ++i)
    sigma += fmt::format("{}{}", i ? "," : "", c.sigmas[i]);
  std::string windows;
  for (std::size_t w : c.multi_windows)
    windows += fmt::format("{}{}", windows.empty() ? "" : ",", w);
  const std::string input = c.source.empty()
                                ? "ring=" + c.ring
                                : fmt::format("source={} subject={} stream={} durable={}", c.source,
                                              c.source_subject, c.source_stream, c.source_durable);
  return fmt::format(
      "{} listen={}:{} reference={} detector={} ert={} window={}{} n_bootstraps={} sigma={} "
      "seed={} "
      "cache={} feedback_table_size={} feedback_max_age={}s feedback_accuracy_window={}",
      input, c.listen, c.port, c.reference.empty() ? "(none)" : c.reference, c.detector, c.ert,
      c.window, windows.empty() ? "" : " multi_windows=" + windows, c.n_bootstraps,
      sigma.empty() ? "median-heuristic" : sigma, c.seed, c.cache.empty() ? "(none)" : c.cache,
      c.feedback_table_size, c.feedback_max_age, c.feedback_accuracy_window);
}

}  // namespace driftwatch::exporter
