// server-model-floor: what the model alone can do with infer-server's own
// LibTorch settings (the frozen + optimized module of ModelRunner, batch 1),
// the floor that tests/bench/model_serving.sh compares the server with.
//
//   server-model-floor MODEL.pt MODEL.json INFER_THREADS INTRA_OP SECONDS [IMAGE]
//
// Prints one line of key=value pairs:
//   forward_ms     median of one batch-1 model call, one thread busy
//   decode_ms      median JPEG/PNG decode + preprocess of IMAGE (when given)
//   floor_rps      model calls per second with all INFER_THREADS threads busy
//   floor_ms       median call time while they all are
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "server/image.h"
#include "server/model_config.h"
#include "server/model_runner.h"
#include "server/preprocess.h"

using namespace driftwatch::server;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr,
                 "usage: server-model-floor MODEL.pt MODEL.json INFER_THREADS INTRA_OP SECONDS "
                 "[IMAGE]\n");
    return 2;
  }
  const int threads = std::max(1, std::atoi(argv[3]));
  const int intra = std::max(1, std::atoi(argv[4]));
  const double seconds = std::atof(argv[5]);
  try {
    ModelRunner::Options o;
    o.path = argv[1];
    o.config = load_model_config(argv[2]);
    o.intra_op_threads = intra;
    ModelRunner model(o);
    std::vector<float> input(input_size(o.config), 0.5f);

    double decode_ms = 0;
    if (argc > 6) {
      std::ifstream f(argv[6], std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(f)), {});
      std::vector<double> times;
      for (int i = 0; i < 50; ++i) {
        const auto t0 = Clock::now();
        Image img;
        if (!decode_image(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(),
                          40'000'000, img)
                 .ok()) {
          std::fprintf(stderr, "server-model-floor: cannot decode %s\n", argv[6]);
          return 1;
        }
        preprocess(img, o.config, input);
        times.push_back(ms_since(t0));
      }
      decode_ms = median(times);
    }

    std::vector<double> one;
    for (int i = 0; i < 30; ++i) {
      const auto t0 = Clock::now();
      model.run_one(input.data());
      one.push_back(ms_since(t0));
    }

    // All threads busy, as the server's inference threads are under load.
    std::atomic<bool> go{false}, stop{false};
    std::atomic<long> calls{0};
    std::vector<std::vector<double>> per(threads);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        ModelRunner::init_inference_thread(intra);
        model.warm_up(3);
        while (!go.load()) std::this_thread::yield();
        while (!stop.load()) {
          const auto t0 = Clock::now();
          model.run_one(input.data());
          per[t].push_back(ms_since(t0));
          calls.fetch_add(1);
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // all warmed up
    const auto t0 = Clock::now();
    go = true;
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    const long done = calls.load();
    const double elapsed = ms_since(t0) / 1000.0;
    stop = true;
    for (auto& th : pool) th.join();
    std::vector<double> all;
    for (auto& v : per) all.insert(all.end(), v.begin(), v.end());
    std::printf("forward_ms=%.3f decode_ms=%.3f floor_rps=%.1f floor_ms=%.3f threads=%d intra=%d\n",
                median(one), decode_ms, done / elapsed, median(all), threads, intra);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "server-model-floor: %s\n", e.what());
    return 1;
  }
  return 0;
}
