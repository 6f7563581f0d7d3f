// A bearer token kept in a file (a compose secret, a Kubernetes Secret
// volume): infer-server reads the one it requires, loadgen the one it sends.
#pragma once

#include <string>

namespace driftwatch::common {

// The file's content without trailing whitespace (a final newline). Throws
// std::runtime_error, naming the file but never its content, when the file is
// missing, unreadable, a directory, empty, or holds anything but one line of
// visible ASCII without spaces.
std::string read_token_file(const std::string& path);

}  // namespace driftwatch::common
