// Runs the real infer-server binary for a test: on port 0, reads the bound
// port from its stdout line "listening on ADDR:PORT", stderr to a log file.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace dwtest {

class ServerProcess {
 public:
  // `args` are passed after the binary; --port 0 is added unless given.
  ServerProcess(const std::string& binary, std::vector<std::string> args,
                const std::string& log_path);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  bool started() const { return port_ > 0; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }
  std::string log() const;

  // Polls GET /readyz until 200.
  bool wait_ready(std::chrono::milliseconds timeout = std::chrono::seconds(120));
  // SIGTERM and wait: the exit status (0 = clean), or 128 + signal, or -1 on timeout.
  int stop(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Waits for the process to exit by itself: same codes as stop().
  int wait_exit(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_path_;
};

}  // namespace dwtest
