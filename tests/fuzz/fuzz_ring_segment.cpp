// libFuzzer target: RingReader on a hostile segment. Readers map segments that
// another process wrote, so the segment is a trust boundary: whatever the
// bytes, the reader refuses the segment (RingError) or reads and skips
// records, and never crashes, hangs or reads outside the mapping, nor when
// it sums the request counters area the header points to.
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "shared/ring/ring_error.h"
#include "shared/ring/ring_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const int fd = ::memfd_create("fuzz-ring", 0);
  if (fd < 0) return 0;
  if (::write(fd, data, size) == static_cast<ssize_t>(size)) {
    for (const bool from_start : {true, false}) {
      driftwatch::ring::RingReader::Options options;
      options.name = "/proc/self/fd/" + std::to_string(fd);  // a '/' inside: a plain file
      options.from_start = from_start;
      options.stall_timeout = std::chrono::milliseconds(0);
      options.generation_check_interval = std::chrono::milliseconds(0);
      try {
        driftwatch::ring::RingReader reader(options);
        driftwatch::ring::Record record;
        // Bounded: a hostile header may claim any number of records.
        for (int i = 0; i < 256; ++i) (void)reader.poll(record);
        (void)reader.lag();
        // The counters area, summed at every scrape: its offset and shard
        // count come from the hostile header too.
        (void)reader.request_counts();
      } catch (const driftwatch::ring::RingError&) {
      }
    }
  }
  ::close(fd);
  return 0;
}
