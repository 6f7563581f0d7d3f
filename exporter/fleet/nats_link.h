// NatsLink: one NATS connection with its JetStream context, as the publisher
// and the JetStream source use it: connects in the background and reconnects
// forever (a NATS server that is down at start or restarts later is a wait,
// not an error), counts disconnects, and creates the records stream when it
// is missing. Internal to exporter/fleet (the only place that sees nats.h).
//
// Thread contract: construct, ensure_stream() and destroy on one thread;
// connected() and the counters from any thread. cnats runs the callbacks on
// its own thread, also after natsConnection_Close() returns: they touch only
// CallbackState, which the destructor frees once the closed callback, cnats'
// last, has run.
#pragma once

#include <nats/nats.h>

#include <cstdint>
#include <memory>
#include <string>

#include "exporter/fleet/stream_settings.h"

namespace driftwatch::fleet {

class NatsLink {
 public:
  // `url`: nats://HOST:PORT (valid_nats_url); `name`: the connection's name as
  // the server shows it; `js_options`: the JetStream options (asynchronous
  // publish handlers) or nullptr. Never blocks on the network: a server that
  // cannot be reached yet is connected to in the background. Throws
  // std::runtime_error only for a URL or option cnats refuses.
  NatsLink(const std::string& url, const std::string& name, jsOptions* js_options);
  ~NatsLink();
  NatsLink(const NatsLink&) = delete;
  NatsLink& operator=(const NatsLink&) = delete;

  bool connected() const;
  natsConnection* connection() { return nc_; }
  jsCtx* js() { return js_; }

  // Looks the stream up and creates it from `s` when it does not exist. False
  // with `error` set when JetStream cannot be asked or refuses.
  bool ensure_stream(const StreamSettings& s, std::string& error);

  std::uint64_t disconnects() const;
  std::uint64_t reconnects() const;

 private:
  struct CallbackState;
  static void on_disconnected(natsConnection* nc, void* closure);
  static void on_reconnected(natsConnection* nc, void* closure);
  static void on_closed(natsConnection* nc, void* closure);
  static void on_connected(natsConnection* nc, void* closure);
  void close_and_wait();

  std::unique_ptr<CallbackState> state_;
  natsOptions* opts_ = nullptr;
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
};

// "status (text)" for a log line.
std::string nats_error(natsStatus s);

}  // namespace driftwatch::fleet
