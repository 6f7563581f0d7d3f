// Scratch space for tests under the system temp dir ($TMPDIR or /tmp): a
// directory that is removed with its contents when the test is done, and a
// fresh path for a test that creates the file itself.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

namespace dwtest {

// Creates a new empty directory <temp>/<prefix>-XXXXXX (mkdtemp: unique
// across processes and threads) and returns its path. The caller removes it.
inline std::string make_temp_dir(const std::string& prefix) {
  std::string templ = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + templ);
  return templ;
}

// A path <temp>/<prefix>_<pid>_<n>_<name> that no other call returns in this
// process; nothing is created there.
inline std::string temp_path(const std::string& name, const std::string& prefix = "dw_test") {
  static std::atomic<int> counter{0};
  return (std::filesystem::temp_directory_path() / (prefix + "_" + std::to_string(::getpid()) +
                                                    "_" + std::to_string(counter++) + "_" + name))
      .string();
}

// A fresh directory, removed with everything in it on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "dw_test") : path_(make_temp_dir(prefix)) {}
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // The path of `name` inside the directory (not created).
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace dwtest
