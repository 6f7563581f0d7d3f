#include "tools/loadgen/config.h"

#include <algorithm>
#include <boost/program_options.hpp>
#include <cctype>
#include <cmath>
#include <map>
#include <sstream>

#include "shared/common/cli.h"
#include "shared/common/token_file.h"

namespace driftwatch::loadgen {

namespace po = boost::program_options;

namespace {

constexpr int kMaxWorkers = 10000;
constexpr int kMaxThreads = 16;

po::options_description make_options() {
  po::options_description o("loadgen options");
  // Booleans take an optional value so DRIFTWATCH_JSON=1 works like --json.
  o.add_options()("url", po::value<std::string>())(
      "allow-remote", po::value<bool>()->implicit_value(true))("images", po::value<std::string>())(
      "idx", po::value<std::string>())("image", po::value<std::string>())(
      "max-images", po::value<long long>())("seed", po::value<long long>())(
      "error-share", po::value<double>())("stages", po::value<std::string>())(
      "stage-seconds", po::value<double>())("rate", po::value<double>())(
      "duration", po::value<double>())("connections", po::value<long long>())(
      "max-requests", po::value<long long>())("threads", po::value<long long>())(
      "timeout-ms", po::value<long long>())("json", po::value<bool>()->implicit_value(true))(
      "no-progress", po::value<bool>()->implicit_value(true))(
      "idx-labels", po::value<std::string>())("feedback-share", po::value<double>())(
      "feedback-delay-ms", po::value<long long>())("feedback-log", po::value<std::string>())(
      "feedback-token-file", po::value<std::string>());
  return o;
}

std::vector<int> parse_stages(const std::string& text) {
  std::vector<int> stages;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    const bool digits = !item.empty() && std::all_of(item.begin(), item.end(), [](unsigned char c) {
      return std::isdigit(c) != 0;
    });
    if (!digits || item.size() > 5 || std::stoi(item) > kMaxWorkers) {
      throw ConfigError("--stages wants comma-separated worker counts 0.." +
                        std::to_string(kMaxWorkers) + ", got '" + text + "'");
    }
    stages.push_back(std::stoi(item));
  }
  if (stages.empty() || text.back() == ',') {
    throw ConfigError("--stages wants comma-separated worker counts, got '" + text + "'");
  }
  if (*std::max_element(stages.begin(), stages.end()) == 0) {
    throw ConfigError("--stages: at least one stage needs a worker");
  }
  return stages;
}

long long integer_in(const po::variables_map& vm, const char* name, long long lo, long long hi,
                     long long fallback) {
  if (!vm.count(name)) return fallback;
  const long long v = vm[name].as<long long>();
  if (v < lo || v > hi) {
    throw ConfigError(std::string("--") + name + " must be in " + std::to_string(lo) + ".." +
                      std::to_string(hi) + ", got " + std::to_string(v));
  }
  return v;
}

double positive(const po::variables_map& vm, const char* name) {
  const double v = vm[name].as<double>();
  if (!(v > 0.0) || !std::isfinite(v)) {
    throw ConfigError(std::string("--") + name + " must be a positive number");
  }
  return v;
}

bool flag(const po::variables_map& vm, const char* name) {
  return vm.count(name) != 0 && vm[name].as<bool>();
}

// Fashion-MNIST's naming: t10k-images-idx3-ubyte.gz -> t10k-labels-idx1-ubyte.gz.
std::string default_labels_path(const std::string& images_path) {
  const std::string from = "images-idx3";
  const auto slash = images_path.rfind('/');
  const auto at = images_path.rfind(from);
  if (at == std::string::npos || (slash != std::string::npos && at < slash)) return "";
  return images_path.substr(0, at) + "labels-idx1" + images_path.substr(at + from.size());
}

void parse_feedback(const po::variables_map& vm, Config& c) {
  if (vm.count("feedback-share")) {
    c.feedback_share = vm["feedback-share"].as<double>();
    if (!(c.feedback_share >= 0.0 && c.feedback_share <= 1.0))
      throw ConfigError("--feedback-share must be in [0, 1]");
  }
  c.feedback_delay_ms =
      static_cast<int>(integer_in(vm, "feedback-delay-ms", 0, 24LL * 3600 * 1000, 0));
  if (vm.count("feedback-log")) c.feedback_log = vm["feedback-log"].as<std::string>();
  if (vm.count("idx-labels")) c.idx_labels = vm["idx-labels"].as<std::string>();
  if (c.feedback_share == 0.0) {
    if (vm.count("feedback-log") || vm.count("feedback-delay-ms") ||
        vm.count("feedback-token-file"))
      throw ConfigError("the --feedback-* flags need --feedback-share F > 0");
    return;
  }
  if (c.source != Config::Source::kIdx)
    throw ConfigError("--feedback-share needs --idx: its labels file holds the true classes");
  if (c.idx_labels.empty()) c.idx_labels = default_labels_path(c.source_path);
  if (c.idx_labels.empty())
    throw ConfigError("--feedback-share: cannot derive the labels file from --idx " +
                      c.source_path + "; give --idx-labels FILE");
  if (vm.count("feedback-token-file")) {
    try {
      c.feedback_token = common::read_token_file(vm["feedback-token-file"].as<std::string>());
    } catch (const std::runtime_error& e) {
      throw ConfigError(std::string("--feedback-token-file ") + e.what());
    }
  }
  c.feedback_url = c.url;
  c.feedback_url.target = "/feedback";
}

}  // namespace

std::string usage_text() {
  return R"(loadgen: HTTP load generator for the driftwatch infer-server's POST /predict.

Usage:
  loadgen --url http://127.0.0.1:8080/predict (--images DIR | --idx FILE | --image FILE)
          (--stages 1,2,3,5,3,2,1 [--stage-seconds 30] | --rate R (--duration S | --max-requests N))
          [options]

Target:
  --url URL             http://HOST[:PORT]/PATH to POST to (required). Only loopback hosts
                        (localhost, 127.0.0.0/8, ::1) unless --allow-remote is given.
  --allow-remote        Allow a host that is not a loopback address.

Payload (exactly one; bodies are {"image": "<base64>"}, encoded once at start):
  --images DIR          Every .jpg/.jpeg/.png directly in DIR, shuffled with --seed, repeated.
  --idx FILE            An IDX3 images file (gzipped or not), e.g.
                        /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz;
                        each image is sent as an 8-bit grayscale PNG, shuffled with --seed.
  --image FILE          One fixed file, sent as is.
  --max-images N        Use at most N images of --images/--idx (0 = all; default 0).
  --seed N              Shuffle seed (default 1).
  --error-share F       Share of requests in [0, 1] sent malformed, half `{}` and half
                        `{"image": "bad data"}` (expect 422). Exact: any n requests hold
                        floor(n*F) of them. Default 0.

Feedback (ground-truth labels for answered predictions, IDX payloads only):
  --feedback-share F    Share in [0, 1] of the 200 answers whose true class is known that get
                        their label POSTed to /feedback on the --url's server, with source
                        "random" (exact: any n such answers hold floor(n*F) picks). Default 0.
  --feedback-delay-ms T Send each label T ms after its answer arrived (default 0); labels due
                        together go as one JSON array (at most 1000). At the end of the run
                        loadgen waits until every picked label has been sent.
  --idx-labels FILE     The IDX1 labels of --idx (default: the --idx name with images-idx3
                        replaced by labels-idx1, as in Fashion-MNIST).
  --feedback-log PATH   Write one tab-separated line per label sent: request_id, true class,
                        predicted class, HTTP status of its /feedback request (202 accepted).
  --feedback-token-file PATH
                        Send "Authorization: Bearer <the file's token>" with each /feedback
                        request (for a server started with --feedback-token-file).

Load shape (exactly one):
  --stages LIST         Closed loop: comma-separated worker counts, one stage each. Every
                        worker owns a keep-alive connection and sends its next request when
                        the previous answer arrives. Latency: from send to answer.
  --stage-seconds S     Length of each stage in seconds (default 30).
  --rate R              Open loop: R requests/s, request i due at t0 + i/R whether or not
                        earlier ones were answered; queued when every connection is busy.
                        Latency: from the intended time to the answer, so a stalled server
                        is not hidden (no coordinated omission).
  --duration S          Rate mode: schedule requests for S seconds (ceil(R*S) requests).
                        After the last one is due, loadgen waits at most --timeout-ms for
                        the rest; still-queued requests then count as "unsent".
  --connections N       Rate mode: connection pool size (default 64).
  --max-requests N      Send at most N requests in either mode (0 = no limit; default 0).

Run:
  --threads N           io threads, 1..16 (default 1).
  --timeout-ms T        Per request: connect, and separately write+read (default 10000).
  --json                Print the final summary as one JSON object (schema
                        "driftwatch-loadgen/1", see docs/loadgen.md) instead of text.
  --no-progress         No per-second progress lines on stderr.
  -h, --help            This text.
  --version             Version, git revision and compiler.

Every flag can also come from the environment as DRIFTWATCH_<FLAG> (upper case, '-' -> '_',
e.g. DRIFTWATCH_URL, DRIFTWATCH_ERROR_SHARE=0.1, DRIFTWATCH_JSON=1); flags win.

Output: one progress line per second on stderr (elapsed, answers/s, errors, p50/p99 of that
second); the summary on stdout (requests, answers by status, transport errors, achieved
RPS, latency p50/p90/p99/p99.9 in ms).

Exit status: 0 when the run got at least one HTTP answer (whatever its status); 1 when
every request failed without an answer (e.g. server unreachable; the summary still
counts the errors); 2 for bad flags or unreadable payload files.
)";
}

std::optional<Config> parse_config(int argc, const char* const* argv,
                                   const char* const* environment, std::ostream& help_out) {
  po::options_description options = make_options();
  po::variables_map vm;
  const common::CliProgram program{"loadgen", usage_text(), "", {}, /*list_options=*/false};
  try {
    if (!common::parse_cli_or_throw(program, options, argc, argv, vm, help_out, nullptr,
                                    environment))
      return std::nullopt;
  } catch (const po::error& e) {
    throw ConfigError(e.what());
  }

  Config c;
  if (!vm.count("url"))
    throw ConfigError("--url is required, e.g. --url http://127.0.0.1:8080/predict");
  c.url_text = vm["url"].as<std::string>();
  try {
    c.url = parse_url(c.url_text);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string("--url: ") + e.what());
  }
  c.allow_remote = flag(vm, "allow-remote");
  if (!c.allow_remote && !is_loopback_host(c.url.host)) {
    throw ConfigError("refusing to load non-loopback host '" + c.url.host +
                      "'; pass --allow-remote if you mean it");
  }

  const int sources = static_cast<int>(vm.count("images") + vm.count("idx") + vm.count("image"));
  if (sources != 1) throw ConfigError("give exactly one of --images DIR, --idx FILE, --image FILE");
  if (vm.count("images")) {
    c.source = Config::Source::kImageDir;
    c.source_path = vm["images"].as<std::string>();
  } else if (vm.count("idx")) {
    c.source = Config::Source::kIdx;
    c.source_path = vm["idx"].as<std::string>();
  } else {
    c.source = Config::Source::kImageFile;
    c.source_path = vm["image"].as<std::string>();
  }
  c.max_images = static_cast<std::uint32_t>(integer_in(vm, "max-images", 0, 1LL << 31, 0));
  c.seed = static_cast<std::uint64_t>(integer_in(vm, "seed", 0, 1LL << 62, 1));
  if (vm.count("error-share")) {
    c.error_share = vm["error-share"].as<double>();
    if (!(c.error_share >= 0.0 && c.error_share <= 1.0)) {
      throw ConfigError("--error-share must be in [0, 1]");
    }
  }

  c.max_requests = static_cast<std::uint64_t>(integer_in(vm, "max-requests", 0, 1LL << 40, 0));
  const bool stages = vm.count("stages") != 0;
  const bool rate = vm.count("rate") != 0;
  if (stages == rate) throw ConfigError("give exactly one of --stages LIST or --rate R");
  if (stages) {
    c.mode = Config::Mode::kStages;
    c.stages = parse_stages(vm["stages"].as<std::string>());
    if (vm.count("stage-seconds")) c.stage_seconds = positive(vm, "stage-seconds");
    if (vm.count("duration")) {
      throw ConfigError("--duration is for --rate; a stages run lasts stages x --stage-seconds");
    }
    if (vm.count("connections")) {
      throw ConfigError("--connections is for --rate; in stages mode each worker has one");
    }
  } else {
    c.mode = Config::Mode::kRate;
    c.rate = positive(vm, "rate");
    if (vm.count("stage-seconds")) throw ConfigError("--stage-seconds is for --stages");
    if (vm.count("duration")) {
      c.duration = positive(vm, "duration");
      const double n = std::ceil(c.rate * c.duration - 1e-9);
      if (n > static_cast<double>(1LL << 40)) throw ConfigError("--rate x --duration is too large");
      c.rate_requests = static_cast<std::uint64_t>(n);
      if (c.max_requests != 0) c.rate_requests = std::min(c.rate_requests, c.max_requests);
    } else if (c.max_requests != 0) {
      c.rate_requests = c.max_requests;
    } else {
      throw ConfigError("--rate needs --duration S or --max-requests N to end");
    }
    c.connections = static_cast<int>(integer_in(vm, "connections", 1, kMaxWorkers, 64));
  }

  parse_feedback(vm, c);

  c.threads = static_cast<int>(integer_in(vm, "threads", 1, kMaxThreads, 1));
  c.timeout_ms = static_cast<int>(integer_in(vm, "timeout-ms", 1, 3600 * 1000, 10000));
  c.json = flag(vm, "json");
  c.progress = !flag(vm, "no-progress");
  return c;
}

}  // namespace driftwatch::loadgen
