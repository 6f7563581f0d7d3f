// A size-limited tmpfs mounted for one test, the way a container's /dev/shm
// (compose shm_size, a Kubernetes emptyDir with sizeLimit) is: the only
// honest way to check what happens when the ring does not fit. Mounting
// needs root (as in CI); elsewhere available() is false and skip_reason()
// says why, for GTEST_SKIP.
#pragma once

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

namespace dwtest {

class SmallTmpfs {
 public:
  explicit SmallTmpfs(std::size_t bytes) {
    std::string templ = (std::filesystem::temp_directory_path() / "dw_tmpfs_XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) {
      reason_ = std::string("mkdtemp failed: ") + std::strerror(errno);
      return;
    }
    dir_ = templ;
    if (::geteuid() != 0) {
      reason_ = "not root: cannot mount a small tmpfs (CI runs this as root)";
      return;
    }
    const std::string opts = "size=" + std::to_string(bytes);
    if (::mount("tmpfs", dir_.c_str(), "tmpfs", 0, opts.c_str()) != 0) {
      reason_ = std::string("mount -t tmpfs failed: ") + std::strerror(errno);
      return;
    }
    mounted_ = true;
  }
  ~SmallTmpfs() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
    if (!dir_.empty()) ::rmdir(dir_.c_str());
  }
  SmallTmpfs(const SmallTmpfs&) = delete;
  SmallTmpfs& operator=(const SmallTmpfs&) = delete;

  bool available() const { return mounted_; }
  const std::string& skip_reason() const { return reason_; }
  const std::string& dir() const { return dir_; }
  // Entries in the mount (a failed start must leave none behind).
  std::size_t entries() const {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir_)) ++n;
    return n;
  }

 private:
  std::string dir_;
  std::string reason_;
  bool mounted_ = false;
};

}  // namespace dwtest
