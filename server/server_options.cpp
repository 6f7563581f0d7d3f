#include "server/server_options.h"

#include <algorithm>
#include <boost/program_options.hpp>
#include <cctype>
#include <ostream>
#include <thread>

#include "server/model_runner.h"
#include "shared/common/cli.h"

namespace po = boost::program_options;

namespace driftwatch::server {
namespace {

// "cpu", "cuda" or "cuda:N"; whether the device exists is the model
// loader's question (it needs LibTorch).
bool valid_device_name(const std::string& d) {
  if (d == "cpu" || d == "cuda") return true;
  const std::string prefix = "cuda:";
  if (d.size() <= prefix.size() || d.size() > prefix.size() + 3 || d.rfind(prefix, 0) != 0)
    return false;
  return std::all_of(d.begin() + static_cast<std::ptrdiff_t>(prefix.size()), d.end(),
                     [](unsigned char c) { return std::isdigit(c) != 0; });
}

}  // namespace

common::CliOutcome parse_server_options(int argc, const char* const argv[], ServerOptions& o,
                                        std::ostream& out, std::ostream& err) {
  const common::CliProgram program{
      "infer-server",
      "infer-server: serves a TorchScript image classifier over HTTP and writes one record per\n"
      "request to the driftwatch ring.\n\nUsage: infer-server --model PATH [options]\n",
      "",
      {std::string("libtorch ") + libtorch_version()}};
  po::options_description desc("Options");
  // clang-format off
  desc.add_options()
    ("model", po::value(&o.model)->value_name("PATH"), "TorchScript model file (required)")
    ("model-config", po::value(&o.model_config)->value_name("PATH"),
     "model config JSON (docs/model-config.md); default: the model path with .json")
    ("ring", po::value(&o.ring)->default_value(o.ring)->value_name("NAME"),
     "ring name: /NAME is a POSIX shm object, a path with another '/' a plain file")
    ("ring-bytes", po::value(&o.ring_bytes)->default_value(o.ring_bytes)->value_name("B"),
     "ring size budget in bytes: the slot count is the largest power of two whose segment fits "
     "(slot size follows the embedding dimension); every page is reserved at start")
    ("ring-slots", po::value(&o.ring_slots)->default_value(o.ring_slots)->value_name("N"),
     "ring slots (rounded up to a power of two); when given, wins over --ring-bytes")
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
    ("max-batch", po::value(&o.max_batch)->default_value(o.max_batch)->value_name("N"),
     "queued /predict requests that run as one [N, C, H, W] forward, at most (1..1024; 1: no "
     "batching); each still gets its own answer and ring record")
    ("batch-delay-us", po::value(&o.batch_delay_us)->default_value(o.batch_delay_us)->value_name("T"),
     "how long the first request of a batch may wait for others to join it, in microseconds "
     "(0..1000000; 0: batch only what is already queued)")
    ("device", po::value(&o.device)->default_value(o.device)->value_name("D"),
     "where the model runs: cpu, cuda or cuda:N (a CUDA GPU; needs infer-server built against a "
     "CUDA LibTorch); decoding and preprocessing stay on the CPU")
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
    ("drain-ms", po::value(&o.drain_ms)->default_value(o.drain_ms)->value_name("T"),
     "on SIGTERM, how long /readyz answers 503 while /predict is still served, before the "
     "listener closes (rolling restarts: load balancers stop sending first); 0: close at once")
    ("shutdown-grace-ms", po::value(&o.shutdown_grace_ms)->default_value(o.shutdown_grace_ms)->value_name("T"),
     "on SIGINT/SIGTERM, how long requests in flight may finish")
    ("warmup", po::value(&o.warmup)->default_value(o.warmup)->value_name("N"),
     "model calls before /readyz says ready")
    ("no-optimize", po::value(&o.no_optimize)->implicit_value(true)->default_value(false)->value_name("BOOL"),
     "serve the module as loaded (no freeze / optimize_for_inference)")
    ("jpeg-dct-scaling", po::value(&o.jpeg_dct_scaling)->implicit_value(true)->default_value(false)->value_name("BOOL"),
     "decode large JPEGs at 1/2, 1/4 or 1/8 scale in the DCT domain when that still leaves the "
     "resize its target size (faster; the tensor differs slightly from the exact PIL-compatible "
     "path, see docs/server.md)")
    ("feedback-token-file", po::value(&o.feedback_token_file)->value_name("PATH"),
     "POST /feedback then requires 'Authorization: Bearer <token>', the token being this file's "
     "content (trailing newline ignored; a missing or empty file ends the start); default: "
     "anyone who reaches the server may post labels")
    ("log-level", po::value(&o.log_level)->default_value(o.log_level)->value_name("L"),
     "trace, debug, info, warn, error, critical or off");
  // clang-format on

  po::variables_map vm;
  const common::CliOutcome outcome = common::parse_cli(program, desc, argc, argv, vm, out, err);
  if (outcome != common::CliOutcome::kRun) return outcome;
  if (o.model.empty()) {
    err << "infer-server: --model is required (see --help)\n";
    return common::CliOutcome::kExitError;
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
      !positive(o.max_connections, "max-connections") ||
      !positive(static_cast<long long>(o.ring_bytes), "ring-bytes"))
    return common::CliOutcome::kExitError;
  if (o.max_batch < 1 || o.max_batch > kMaxBatch) {
    err << "infer-server: --max-batch must be between 1 and " << kMaxBatch << " (got "
        << o.max_batch << ")\n";
    return common::CliOutcome::kExitError;
  }
  if (o.batch_delay_us < 0 || o.batch_delay_us > kMaxBatchDelayUs) {
    err << "infer-server: --batch-delay-us must be between 0 and " << kMaxBatchDelayUs
        << " microseconds (got " << o.batch_delay_us << ")\n";
    return common::CliOutcome::kExitError;
  }
  if (!valid_device_name(o.device)) {
    err << "infer-server: --device must be cpu, cuda or cuda:N (got '" << o.device << "')\n";
    return common::CliOutcome::kExitError;
  }
  if (o.infer_threads < 0) {
    err << "infer-server: --infer-threads must be 0 or more\n";
    return common::CliOutcome::kExitError;
  }
  if (o.infer_threads == 0)
    o.infer_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return common::CliOutcome::kRun;
}

}  // namespace driftwatch::server
