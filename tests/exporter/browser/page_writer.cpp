// The test writer behind the pages' browser test (run_pages_test.sh):
//   page-writer reference PATH DIM ROWS   writes a float32 .npy reference of
//                                         in-distribution rows (mean 0)
//   page-writer stream RING DIM           creates the ring, then obeys one
//                                         command per stdin line and answers
//                                         "ok" on stdout after each:
//     steady N   N successful /predict records, in-distribution embeddings
//     shift N    N successful records with every coordinate shifted by +1
//     fail N     N failed /predict records (status 400, no embedding)
//     label N    feedback labels (source random) for requests 0..N-1, which
//                must be successful ones: right for 4 in 5 (id % 5 != 4),
//                and flagged ones for requests 0..9, all wrong
// Records carry the wall-clock time, classes cycle over the ten Fashion-MNIST
// names and confidences over 0.35..0.95, so /predictions has something to show.
#include <chrono>
#include <iostream>
#include <sstream>
#include <string>

#include "shared/common/npy.h"
#include "shared/ring/ring_writer.h"
#include "tests/exporter/exporter_test_support.h"

namespace {

namespace testing = driftwatch::exporter::testing;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Request n was predicted as class n % 10 (see main).
void write_labels(driftwatch::ring::RingWriter& writer, std::size_t count) {
  using driftwatch::ring::FeedbackSource;
  const auto label = [&](std::uint64_t id, std::int32_t truth, FeedbackSource source) {
    writer.write(testing::feedback_label(id, writer.generation(), truth, source, now_ns()), nullptr,
                 0);
  };
  for (std::uint64_t id = 0; id < count; ++id) {
    const auto predicted = static_cast<std::int32_t>(id % 10);
    label(id, id % 5 == 4 ? (predicted + 1) % 10 : predicted, FeedbackSource::kRandom);
  }
  for (std::uint64_t id = 0; id < 10 && id < count; ++id) {
    label(id, static_cast<std::int32_t>((id + 3) % 10), FeedbackSource::kFlagged);
  }
}

int usage() {
  std::cerr << "usage: page-writer reference PATH DIM ROWS | page-writer stream RING DIM\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const std::string mode = argv[1];
  if (mode == "reference" && argc == 5) {
    const std::size_t dim = std::stoul(argv[3]);
    const std::size_t rows = std::stoul(argv[4]);
    driftwatch::common::write_npy(argv[2],
                                  driftwatch::common::NpyArray::from_float32(
                                      {rows, dim}, testing::gaussian_rows(rows, dim, 0.0f, 1)));
    return 0;
  }
  if (mode != "stream" || argc != 4) return usage();
  const auto dim = static_cast<std::uint32_t>(std::stoul(argv[3]));
  driftwatch::ring::RingWriter writer(testing::writer_options(argv[2], dim, 4096));
  std::uint64_t n = 0;
  std::uint64_t seed = 100;
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string command;
    std::size_t count = 0;
    if (!(in >> command >> count)) {
      std::cout << "error: expected COMMAND COUNT" << std::endl;
      continue;
    }
    if (command == "label") {
      write_labels(writer, count);
      std::cout << "ok" << std::endl;
      continue;
    }
    const bool fail = command == "fail";
    if (!fail && command != "steady" && command != "shift") {
      std::cout << "error: unknown command " << command << std::endl;
      continue;
    }
    const std::vector<float> rows =
        testing::gaussian_rows(count, dim, command == "shift" ? 1.0f : 0.0f, seed++);
    for (std::size_t i = 0; i < count; ++i, ++n) {
      driftwatch::ring::RecordFields f;
      if (fail) {
        f = testing::request_failed(400);
      } else {
        f = testing::predict_ok(static_cast<std::int32_t>(n % 10), 0.35f + 0.6f * (n % 7) / 6.0f,
                                2'000'000 + (n % 5) * 1'000'000);
      }
      f.timestamp_ns = now_ns();
      f.request_id = n;
      if (fail) {
        writer.write(f, nullptr, 0);
      } else {
        writer.write(f, rows.data() + i * dim, dim);
      }
    }
    std::cout << "ok" << std::endl;
  }
  return 0;
}
