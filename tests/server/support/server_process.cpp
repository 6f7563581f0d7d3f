#include "tests/server/support/server_process.h"

#include <signal.h>

#include <algorithm>
#include <thread>

#include "tests/server/support/http_client.h"

namespace dwtest {

ServerProcess::ServerProcess(const std::string& binary, std::vector<std::string> args,
                             const std::string& log_path) {
  if (std::find(args.begin(), args.end(), "--port") == args.end()) {
    args.push_back("--port");
    args.push_back("0");
  }
  child_ = std::make_unique<ChildProcess>(binary, args, log_path);
  // Start-up takes < 1 s, but loading LibTorch on a busy machine can take longer.
  if (child_->spawned()) port_ = child_->wait_for_port(std::chrono::seconds(60));
}

bool ServerProcess::wait_ready(std::chrono::milliseconds timeout) {
  if (port_ <= 0) return false;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    HttpClient c(port_);
    auto r = c.request("GET", "/readyz", "", "");
    if (r && r->status == 200) return true;
    if (!child_->running()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

int ServerProcess::wait_exit(std::chrono::milliseconds timeout) {
  const auto status = child_->wait(timeout);
  return status ? exit_code(*status) : -1;
}

int ServerProcess::stop(std::chrono::milliseconds timeout) {
  const auto status = child_->stop(SIGTERM, timeout);
  return status ? exit_code(*status) : -1;
}

}  // namespace dwtest
