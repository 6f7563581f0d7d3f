// A real nats-server with JetStream for one test or benchmark: loopback
// only, a port the server picks (-p -1, read back from its log), a fresh
// store directory. stop()/kill() and start() restart it on the same port and
// store (JetStream's file store survives). The destructor always kills it
// and removes the store, and the server also dies with the process that
// started it (PR_SET_PDEATHSIG), so a crashed test leaves none behind.
//
// The binary is DW_NATS_SERVER (CMake finds Debian's /usr/sbin/nats-server).
#pragma once

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/temp_dir.h"

namespace dwtest {

class NatsServer {
 public:
  NatsServer() : tmp_("dw_nats"), dir_(tmp_.path()) { start(); }
  ~NatsServer() { kill(); }  // before tmp_ removes the store
  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;

  // Starts the server (again, on the same port and store after the first
  // time) and waits until it accepts clients.
  void start() {
    if (pid_ > 0) return;
    const std::string log = (dir_ / ("server" + std::to_string(starts_++) + ".log")).string();
    const std::string port = port_ == 0 ? "-1" : std::to_string(port_);
    std::vector<std::string> args = {DW_NATS_SERVER, "-a",  "127.0.0.1", "-p",
                                     port,           "-js", "-sd",       (dir_ / "store").string(),
                                     "-l",           log,   "-n",        "dw-test"};
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    const std::regex listening(R"(Listening for client connections on [0-9.]+:([0-9]+))");
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("nats-server exited at start; log: " + read(log));
      }
      const std::string text = read(log);
      std::smatch m;
      if (text.find("Server is ready") != std::string::npos &&
          std::regex_search(text, m, listening)) {
        port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    kill();
    throw std::runtime_error("nats-server not ready within 20 s; log: " + read(log));
  }

  // Graceful stop (SIGTERM; SIGKILL after 5 s).
  void stop() { end(SIGTERM, std::chrono::seconds(5)); }
  // Abrupt stop, as a crash or an OOM kill.
  void kill() { end(SIGKILL, std::chrono::seconds(5)); }

  bool running() const { return pid_ > 0; }
  std::uint16_t port() const { return port_; }
  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  static std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  void end(int sig, std::chrono::seconds grace) {
    if (pid_ <= 0) return;
    ::kill(pid_, sig);
    const auto deadline = std::chrono::steady_clock::now() + grace;
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
  }

  TempDir tmp_;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  int starts_ = 0;
};

}  // namespace dwtest
