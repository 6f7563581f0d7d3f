#include "shared/ring/ring_mapping.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "shared/ring/ring_error.h"
#include "shared/ring/ring_layout.h"

namespace driftwatch::ring {
namespace {

std::string errno_text() { return std::strerror(errno); }

// "its filesystem has N bytes free" for the folder holding `path`.
std::string free_space_text(const std::string& path) {
  const auto slash = path.rfind('/');
  const std::string dir =
      slash == std::string::npos || slash == 0 ? (slash == 0 ? "/" : ".") : path.substr(0, slash);
  struct statvfs vfs {};
  if (::statvfs(dir.c_str(), &vfs) != 0) return dir + " has too little free space";
  const unsigned long long free_bytes =
      static_cast<unsigned long long>(vfs.f_bavail) * static_cast<unsigned long long>(vfs.f_frsize);
  return dir + " has " + std::to_string(free_bytes) + " bytes free";
}

// Closes the descriptor on every path; the mapping outlives it.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() { ::close(fd_); }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int fd_;
};

}  // namespace

RingMapping RingMapping::open_read_only(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      throw RingError(RingError::Kind::kNoSuchSegment, "no ring segment at " + path);
    }
    throw RingError(RingError::Kind::kSystem, "cannot open ring " + path + ": " + errno_text());
  }
  FdCloser closer(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    throw RingError(RingError::Kind::kSystem, "cannot stat ring " + path + ": " + errno_text());
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  if (size < sizeof(SegmentHeader)) {
    throw RingError(RingError::Kind::kTruncated,
                    "ring " + path + " is truncated: " + std::to_string(size) +
                        " bytes, smaller than the " + std::to_string(sizeof(SegmentHeader)) +
                        "-byte header");
  }
  void* data = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  if (data == MAP_FAILED) {
    throw RingError(RingError::Kind::kSystem, "cannot map ring " + path + ": " + errno_text());
  }
  return RingMapping(static_cast<std::uint8_t*>(data), size, st.st_dev, st.st_ino);
}

RingMapping RingMapping::create(const std::string& path, std::size_t bytes, mode_t mode) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    throw RingError(RingError::Kind::kSystem, "cannot create ring " + path + ": " + errno_text());
  }
  FdCloser closer(fd);
  // The umask may have narrowed the mode; the segment's mode is a setting.
  if (::fchmod(fd, mode) != 0 || ::ftruncate(fd, static_cast<off_t>(bytes)) != 0) {
    const std::string why = errno_text();
    ::unlink(path.c_str());
    throw RingError(RingError::Kind::kSystem, "cannot size ring " + path + ": " + why);
  }
  // Reserve every page now: a tmpfs too small for the segment fails here, at
  // start, instead of killing the writer with SIGBUS once traffic reaches the
  // first page it cannot back.
  const int err = ::posix_fallocate(fd, 0, static_cast<off_t>(bytes));
  if (err != 0) {
    // Give back what was reserved before reporting how much is free (the
    // descriptor is still open, so unlink alone would not free the pages).
    if (::ftruncate(fd, 0) != 0) {
      // Freed at close anyway; the report may then count them as used.
    }
    ::unlink(path.c_str());
    if (err == ENOSPC || err == EFBIG) {
      throw RingError(RingError::Kind::kNoSpace,
                      std::to_string(bytes) + " bytes; " + free_space_text(path));
    }
    throw RingError(RingError::Kind::kSystem,
                    "cannot reserve ring " + path + ": " + std::strerror(err));
  }
  void* data = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (data == MAP_FAILED) {
    const std::string why = errno_text();
    ::unlink(path.c_str());
    throw RingError(RingError::Kind::kSystem, "cannot map ring " + path + ": " + why);
  }
  struct stat st {};
  ::fstat(fd, &st);
  return RingMapping(static_cast<std::uint8_t*>(data), bytes, st.st_dev, st.st_ino);
}

RingMapping::RingMapping(RingMapping&& other) noexcept
    : data_(other.data_), size_(other.size_), device_(other.device_), inode_(other.inode_) {
  other.data_ = nullptr;
  other.size_ = 0;
}

RingMapping::~RingMapping() {
  if (data_ != nullptr) ::munmap(data_, size_);
}

}  // namespace driftwatch::ring
