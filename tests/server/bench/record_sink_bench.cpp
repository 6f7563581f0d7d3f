// The ring's cost per request, measured in process: RecordSink::write of one
// record with a 64-float embedding (what infer-server does once per reply),
// single-threaded and from 2 threads at once, against a plain file ring; and
// in the same run, for the request counters' share, a RingWriter of the same
// shape writing the same record with the counter update (write) and without
// it (write_record).
//   server_record_sink_bench [RECORDS] [RING_NAME]
// RING_NAME defaults to a POSIX shm object (/dev/shm), as in production.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>
#include <utility>
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
  ring::RingWriter::Options bare = o;
  bare.name = name + "-writer";
  ring::RingWriter writer(bare);
  using Write = std::function<void(const ring::RecordFields&)>;
  const std::pair<const char*, Write> ways[] = {
      {"RecordSink::write",
       [&](const ring::RecordFields& r) { sink.write(r, embedding.data(), 64); }},
      {"RingWriter::write (record + counters)",
       [&](const ring::RecordFields& r) { writer.write(r, embedding.data(), 64); }},
      {"RingWriter::write_record (record only)",
       [&](const ring::RecordFields& r) { writer.write_record(r, embedding.data(), 64); }},
  };
  for (const auto& [what, write] : ways) {
    for (std::size_t i = 0; i < 100000; ++i) write(f);  // warm the mapping
    for (int threads : {1, 2}) {
      const auto t0 = std::chrono::steady_clock::now();
      std::vector<std::thread> ts;
      for (int t = 0; t < threads; ++t)
        ts.emplace_back([&, write = write] {
          ring::RecordFields mine = f;
          for (std::size_t i = 0; i < n / threads; ++i) {
            mine.request_id = i;
            write(mine);
          }
        });
      for (auto& t : ts) t.join();
      const double ns =
          std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
      std::printf("%s, %d thread(s): %.0f ns per record (wall / records), %zu records\n", what,
                  threads, ns / n, n);
    }
  }
  std::printf("given up: %llu\n", static_cast<unsigned long long>(sink.records_dropped()));
  for (const std::string& ring : {name, bare.name}) {
    if (ring.find('/', 1) == std::string::npos) ::unlink(("/dev/shm" + ring).c_str());
  }
  return 0;
}
