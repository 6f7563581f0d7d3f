// RingMapping: one mmap of a ring segment, unmapped on destruction. Internal
// to the ring library.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace driftwatch::ring {

class RingMapping {
 public:
  // Maps an existing segment read-only. Throws RingError (kNoSuchSegment,
  // kTruncated, kSystem).
  static RingMapping open_read_only(const std::string& path);
  // Creates a file of `bytes` bytes at `path` (which must not exist) with
  // `mode`, every page reserved up front, mapped read-write. Throws
  // RingError(kNoSpace) when the filesystem cannot back all of it (a sparse
  // file would instead SIGBUS the writer later, at the first page it cannot
  // back), RingError(kSystem) otherwise; `path` is removed on failure.
  static RingMapping create(const std::string& path, std::size_t bytes, mode_t mode);

  RingMapping(RingMapping&& other) noexcept;
  RingMapping& operator=(RingMapping&&) = delete;
  RingMapping(const RingMapping&) = delete;
  ~RingMapping();

  std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }
  // Identity of the mapped file, to notice when the name points elsewhere.
  dev_t device() const { return device_; }
  ino_t inode() const { return inode_; }

 private:
  RingMapping(std::uint8_t* data, std::size_t size, dev_t device, ino_t inode)
      : data_(data), size_(size), device_(device), inode_(inode) {}
  std::uint8_t* data_;
  std::size_t size_;
  dev_t device_;
  ino_t inode_;
};

}  // namespace driftwatch::ring
