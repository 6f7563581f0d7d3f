// The one rule for a reference embeddings file, as docs/interfaces.md and
// the product spec state it: a float32 .npy [N, D] of finite embeddings
// (numpy.save(path, x.astype(numpy.float32))). drift-exporter's --reference
// and mmd-replay's --reference both read it here, so a file one accepts the
// other accepts too. A float64 file is refused, not narrowed: the detector's
// statistics are float32, and a silent narrowing would hide that the file
// came from somewhere else than the model's embeddings.
//
// Thread contract: a free function, no shared state.
#pragma once

#include <stdexcept>
#include <string>

#include "shared/common/npy.h"

namespace driftwatch::drift {

// A reference file that cannot be used; what() is one line naming the file
// and what to fix.
class ReferenceFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads `path`: unreadable, not float32, not 2-D with D > 0, or holding a row
// check_embedding() refuses is a ReferenceFileError.
common::Matrix read_reference_file(const std::string& path);

}  // namespace driftwatch::drift
