#include "driftwatch/server/server_options.h"

#include <algorithm>
#include <boost/program_options.hpp>
#include <cctype>
#include <ostream>
#include <thread>

#include "driftwatch/common/env_options.h"

namespace po = boost::program_options;

namespace driftwatch::server {

ParseOutcome parse_server_options(int argc, const char* const argv[], ServerOptions& o,
                                  std::ostream& out, std::ostream& err) {
  po::options_description desc(
      "infer-server: serves a TorchScript image classifier over HTTP and writes one record per\n"
      "request to the driftwatch ring.\n\n"
      "Every flag can also be set as an environment variable DRIFTWATCH_<FLAG> (upper case,\n"
      "'-' as '_', e.g. DRIFTWATCH_MAX_BODY_BYTES); a flag on the command line wins.\n\nOptions");
  // clang-format off
  desc.add_options()
    ("help,h", "print this help and exit")
    ("model", po::value(&o.model)->value_name("PATH"), "TorchScript model file (required)")
    ("model-config", po::value(&o.model_config)->value_name("PATH"),
     "model config JSON (docs/model-config.md); default: the model path with .json")
    ("ring", po::value(&o.ring)->default_value(o.ring)->value_name("NAME"),
     "ring name: /NAME is a POSIX shm object, a path with another '/' a plain file")
    ("ring-slots", po::value(&o.ring_slots)->default_value(o.ring_slots)->value_name("N"),
     "ring slots (rounded up to a power of two)")
    ("no-ring", po::value(&o.no_ring)->implicit_value(true)->default_value(false)->value_name("BOOL"),
     "do not create the ring; records are dropped")
    ("listen", po::value(&o.listen)->default_value(o.listen)->value_name("ADDR"), "listen address")
    ("port", po::value(&o.port)->default_value(o.port)->value_name("P"),
     "listen port; 0 picks a free one (printed on stdout as 'listening on ADDR:PORT')")
    ("io-threads", po::value(&o.io_threads)->default_value(o.io_threads)->value_name("N"),
     "threads accepting, reading and writing HTTP")
    ("infer-threads", po::value(&o.infer_threads)->default_value(o.infer_threads)->value_name("N"),
     "threads decoding images and running the model (0: one per core)")
    ("intra-op-threads", po::value(&o.intra_op_threads)->default_value(o.intra_op_threads)->value_name("N"),
     "LibTorch intra-op threads per inference thread")
    ("max-queue", po::value(&o.max_queue)->default_value(o.max_queue)->value_name("N"),
     "requests waiting for an inference thread before new ones get 503")
    ("max-body-bytes", po::value(&o.max_body_bytes)->default_value(o.max_body_bytes)->value_name("B"),
     "largest request body; larger gets 413")
    ("max-pixels", po::value(&o.max_pixels)->default_value(o.max_pixels)->value_name("P"),
     "largest image (width x height), checked before decoding; larger gets 422")
    ("max-header-bytes", po::value(&o.max_header_bytes)->default_value(o.max_header_bytes)->value_name("B"),
     "largest request header; larger gets 431")
    ("read-timeout-ms", po::value(&o.read_timeout_ms)->default_value(o.read_timeout_ms)->value_name("T"),
     "time allowed to receive a request (or to send a reply); a partial request then gets 408, "
     "an idle keep-alive connection is closed")
    ("max-connections", po::value(&o.max_connections)->default_value(o.max_connections)->value_name("N"),
     "open connections; more are answered 503 and closed")
    ("shutdown-grace-ms", po::value(&o.shutdown_grace_ms)->default_value(o.shutdown_grace_ms)->value_name("T"),
     "on SIGINT/SIGTERM, how long requests in flight may finish")
    ("warmup", po::value(&o.warmup)->default_value(o.warmup)->value_name("N"),
     "model calls before /readyz says ready")
    ("no-optimize", po::value(&o.no_optimize)->implicit_value(true)->default_value(false)->value_name("BOOL"),
     "serve the module as loaded (no freeze / optimize_for_inference)")
    ("log-level", po::value(&o.log_level)->default_value(o.log_level)->value_name("L"),
     "trace, debug, info, warn, error, critical or off");
  // clang-format on

  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    // Environment after the command line: store() keeps values already set.
    common::store_env_flags(desc, vm);
    if (vm.count("help")) {
      out << desc << "\n";
      return ParseOutcome::kExitOk;
    }
    po::notify(vm);
  } catch (const std::exception& e) {
    err << "infer-server: " << e.what() << "\n(see --help)\n";
    return ParseOutcome::kExitError;
  }
  if (o.model.empty()) {
    err << "infer-server: --model is required (see --help)\n";
    return ParseOutcome::kExitError;
  }
  auto positive = [&](long long v, const char* name) {
    if (v > 0) return true;
    err << "infer-server: --" << name << " must be positive\n";
    return false;
  };
  if (!positive(o.io_threads, "io-threads") || !positive(o.intra_op_threads, "intra-op-threads") ||
      !positive(o.max_queue, "max-queue") ||
      !positive(static_cast<long long>(o.max_body_bytes), "max-body-bytes") ||
      !positive(static_cast<long long>(o.max_pixels), "max-pixels") ||
      !positive(o.max_header_bytes, "max-header-bytes") ||
      !positive(o.read_timeout_ms, "read-timeout-ms") ||
      !positive(o.max_connections, "max-connections") || !positive(o.ring_slots, "ring-slots"))
    return ParseOutcome::kExitError;
  if (o.infer_threads < 0) {
    err << "infer-server: --infer-threads must be 0 or more\n";
    return ParseOutcome::kExitError;
  }
  if (o.infer_threads == 0)
    o.infer_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return ParseOutcome::kRun;
}

}  // namespace driftwatch::server
