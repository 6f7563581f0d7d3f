// libFuzzer target: the IDX reader (Fashion-MNIST images and labels, plain or
// gzipped) as loadgen, make-reference and train-demo-model use it, on a
// memory file so that the real path-based reader runs.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "shared/common/idx_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const int fd = ::memfd_create("fuzz-idx", 0);
  if (fd < 0) return 0;
  if (::write(fd, data, size) == static_cast<ssize_t>(size)) {
    const std::string path = "/proc/self/fd/" + std::to_string(fd);
    for (const bool images : {true, false}) {
      try {
        if (images) {
          (void)driftwatch::common::read_idx_images(path, 64);
        } else {
          (void)driftwatch::common::read_idx_labels(path);
        }
      } catch (const std::runtime_error&) {
      } catch (const std::invalid_argument&) {
      }
    }
  }
  ::close(fd);
  return 0;
}
