#include "shared/common/token_file.h"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace driftwatch::common {

std::string read_token_file(const std::string& path) {
  const std::string what = path + ": ";
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw std::runtime_error(what + "is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(what + "cannot open for reading");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) throw std::runtime_error(what + "read failed");
  std::string token = bytes.str();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  if (token.empty()) throw std::runtime_error(what + "the file is empty; put the token in it");
  for (const char c : token) {
    if (c <= ' ' || c > '~')
      throw std::runtime_error(what + "the token must be one line of visible ASCII without spaces");
  }
  return token;
}

}  // namespace driftwatch::common
