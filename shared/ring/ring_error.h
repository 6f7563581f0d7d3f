// Errors from setting up a ring (opening, creating, validating a segment).
// Writing and reading records never throws: loss is counted, not thrown.
#pragma once

#include <stdexcept>
#include <string>

namespace driftwatch::ring {

class RingError : public std::runtime_error {
 public:
  enum class Kind {
    kNoSuchSegment,       // nothing at that name/path
    kWrongMagic,          // not a driftwatch ring
    kUnsupportedVersion,  // a ring of another format version
    kTruncated,           // smaller than its header says
    kBadHeader,           // header fields inconsistent
    kSystem,              // open/mmap/ftruncate failed
    kBadArgument,         // invalid options
    kNoSpace,             // the filesystem cannot back the whole segment
  };
  RingError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

}  // namespace driftwatch::ring
