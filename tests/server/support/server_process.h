// Runs the real infer-server binary for a test (dwtest::ChildProcess): on
// port 0, the bound port read from its stdout line "listening on ADDR:PORT",
// stderr to a log file.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/child_process.h"

namespace dwtest {

class ServerProcess {
 public:
  // `args` are passed after the binary; --port 0 is added unless given.
  ServerProcess(const std::string& binary, std::vector<std::string> args,
                const std::string& log_path);
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  bool started() const { return port_ > 0; }
  int port() const { return port_; }
  pid_t pid() const { return child_->pid(); }
  const std::string& log_path() const { return child_->log_path(); }
  std::string log() const { return child_->log(); }

  // Polls GET /readyz until 200.
  bool wait_ready(std::chrono::milliseconds timeout = std::chrono::seconds(120));
  // SIGTERM and wait: the exit status (0 = clean), or 128 + signal, or -1 on timeout.
  int stop(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Waits for the process to exit by itself: same codes as stop().
  int wait_exit(std::chrono::milliseconds timeout);

 private:
  std::unique_ptr<ChildProcess> child_;  // SIGKILLed and reaped on destruction
  int port_ = 0;
};

}  // namespace dwtest
