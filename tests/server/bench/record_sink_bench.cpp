// The ring's cost per request, measured in process: RecordSink::write of one
// record with a 64-float embedding (what infer-server does once per reply),
// single-threaded and from 2 threads at once, against a plain file ring.
//   server_record_sink_bench [RECORDS] [RING_NAME]
// RING_NAME defaults to a POSIX shm object (/dev/shm), as in production.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "server/record_sink.h"

using namespace driftwatch;

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 2'000'000;
  const std::string name = argc > 2 ? argv[2] : "/dw-sink-bench-" + std::to_string(::getpid());
  server::RecordSink sink(true);
  ring::RingWriter::Options o;
  o.name = name;
  o.slot_count = 65536;
  o.info.embedding_dim = 64;
  o.info.class_names = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"};
  o.info.model_name = "bench";
  o.info.model_version = "1";
  sink.open(o);
  std::vector<float> embedding(64, 0.5f);
  ring::RecordFields f;
  f.http_status = 200;
  f.handler = ring::Handler::kPredict;
  f.method = ring::Method::kPost;
  f.class_index = 3;
  f.top_k_count = 5;
  f.embedding_count = 64;
  for (std::size_t i = 0; i < 100000; ++i) sink.write(f, embedding.data(), 64);  // warm the mapping
  for (int threads : {1, 2}) {
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t)
      ts.emplace_back([&] {
        ring::RecordFields mine = f;
        for (std::size_t i = 0; i < n / threads; ++i) {
          mine.request_id = i;
          sink.write(mine, embedding.data(), 64);
        }
      });
    for (auto& t : ts) t.join();
    const double ns =
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%d thread(s): %.0f ns per record (wall / records), %zu records\n", threads, ns / n,
                n);
  }
  std::printf("given up: %llu\n", static_cast<unsigned long long>(sink.records_dropped()));
  if (name.find('/', 1) == std::string::npos) ::unlink(("/dev/shm" + name).c_str());
  return 0;
}
