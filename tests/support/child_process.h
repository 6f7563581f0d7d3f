// A program run as a child process by a test: stdout on a pipe that a thread
// reads (so a chatty child never blocks on a full pipe, and the "listening on
// ADDR:PORT" line infer-server and drift-exporter print is picked out),
// stderr into a log file. Killed (SIGKILL) and reaped on destruction if still
// running.
//
// Thread contract: one test thread drives an instance.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace dwtest {

// An exit status as a shell reports it: the exit code, or 128 + the signal.
inline int exit_code(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

class ChildProcess {
 public:
  // Starts `binary args...`; spawned() is false when it could not start.
  ChildProcess(const std::string& binary, const std::vector<std::string>& args,
               const std::string& log_path)
      : log_path_(log_path) {
    std::vector<std::string> all{binary};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int rc = posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    if (rc != 0) {
      pid_ = -1;
      ::close(out[0]);
      return;
    }
    reader_ = std::thread([this, fd = out[0]] { read_stdout(fd); });
  }
  ~ChildProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (reader_.joinable()) reader_.join();  // EOF once the child is gone
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool spawned() const { return pid_ > 0 || reaped_; }
  // The child's pid while it runs, -1 once reaped.
  pid_t pid() const { return pid_; }

  // The port of the first "listening on ADDR:PORT" line on stdout; 0 when
  // stdout closes or `timeout` passes first.
  int wait_for_port(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait_for(lock, timeout, [this] { return port_ > 0 || stdout_closed_; });
    return port_;
  }
  // Everything read from stdout so far.
  std::string stdout_text() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return stdout_;
  }

  // Waits for the child to end: its wait status, or nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout) {
    if (reaped_) return status_;
    if (pid_ <= 0) return std::nullopt;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        reaped_ = true;
        status_ = status;
        return status_;
      }
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  // Sends `signal`, then wait(timeout).
  std::optional<int> stop(int signal, std::chrono::milliseconds timeout) {
    if (pid_ > 0) ::kill(pid_, signal);
    return wait(timeout);
  }
  // True while the child has not exited (reaps it when it has).
  bool running() { return pid_ > 0 && !wait(std::chrono::milliseconds(0)); }

  std::string log() const {
    std::ifstream in(log_path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  const std::string& log_path() const { return log_path_; }

  // VmRSS of the running child in KiB (0 if unknown).
  long rss_kib() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return 0;
  }

 private:
  void read_stdout(int fd) {
    char buf[4096];
    for (;;) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) break;
      std::lock_guard<std::mutex> lock(mutex_);
      stdout_.append(buf, static_cast<std::size_t>(n));
      if (port_ == 0) port_ = listening_port(stdout_);
      if (port_ > 0) cv_.notify_all();
    }
    ::close(fd);
    std::lock_guard<std::mutex> lock(mutex_);
    stdout_closed_ = true;
    cv_.notify_all();
  }
  static int listening_port(const std::string& text) {
    const auto at = text.find("listening on ");
    const auto eol = at == std::string::npos ? std::string::npos : text.find('\n', at);
    if (eol == std::string::npos) return 0;
    const std::string line = text.substr(at, eol - at);
    return std::atoi(line.c_str() + line.rfind(':') + 1);
  }

  std::string log_path_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  std::thread reader_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::string stdout_;          // guarded by mutex_
  int port_ = 0;                // guarded by mutex_
  bool stdout_closed_ = false;  // guarded by mutex_
};

}  // namespace dwtest
