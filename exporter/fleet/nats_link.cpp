#include "exporter/fleet/nats_link.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace driftwatch::fleet {

struct NatsLink::CallbackState {
  // Relaxed: counters read by metrics, ordering nothing.
  std::atomic<std::uint64_t> disconnects{0};
  std::atomic<std::uint64_t> reconnects{0};
  std::mutex mu;
  std::condition_variable cv;
  bool closed = false;  // guarded by mu
};

namespace {

// How long the destructor waits for cnats' closed callback; it comes within
// milliseconds, so running out means cnats broke its contract.
constexpr std::chrono::seconds kClosedCallbackWait{10};

void check(natsStatus s, const char* what) {
  if (s != NATS_OK) throw std::runtime_error(std::string(what) + ": " + nats_error(s));
}

}  // namespace

std::string nats_error(natsStatus s) {
  return std::string(natsStatus_GetText(s)) + " (" + std::to_string(static_cast<int>(s)) + ")";
}

NatsLink::NatsLink(const std::string& url, const std::string& name, jsOptions* js_options)
    : state_(std::make_unique<CallbackState>()) {
  CallbackState* const state = state_.get();
  try {
    check(natsOptions_Create(&opts_), "natsOptions_Create");
    check(natsOptions_SetURL(opts_, url.c_str()), "NATS URL");
    check(natsOptions_SetName(opts_, name.c_str()), "NATS connection name");
    // Loopback or a cluster network: a short connect timeout, then retries.
    check(natsOptions_SetTimeout(opts_, 2000), "natsOptions_SetTimeout");
    check(natsOptions_SetMaxReconnect(opts_, -1), "natsOptions_SetMaxReconnect");
    check(natsOptions_SetReconnectWait(opts_, 250), "natsOptions_SetReconnectWait");
    check(natsOptions_SetReconnectJitter(opts_, 100, 100), "natsOptions_SetReconnectJitter");
    // A connected callback makes the first connect asynchronous too.
    check(natsOptions_SetRetryOnFailedConnect(opts_, true, &NatsLink::on_connected, state),
          "natsOptions_SetRetryOnFailedConnect");
    check(natsOptions_SetDisconnectedCB(opts_, &NatsLink::on_disconnected, state),
          "natsOptions_SetDisconnectedCB");
    check(natsOptions_SetReconnectedCB(opts_, &NatsLink::on_reconnected, state),
          "natsOptions_SetReconnectedCB");
    check(natsOptions_SetClosedCB(opts_, &NatsLink::on_closed, state), "natsOptions_SetClosedCB");
    const natsStatus s = natsConnection_Connect(&nc_, opts_);
    if (s != NATS_OK && s != NATS_NOT_YET_CONNECTED) check(s, "natsConnection_Connect");
    check(natsConnection_JetStream(&js_, nc_, js_options), "natsConnection_JetStream");
  } catch (...) {
    if (js_) jsCtx_Destroy(js_);
    if (nc_) close_and_wait();
    if (opts_) natsOptions_Destroy(opts_);
    throw;
  }
}

NatsLink::~NatsLink() {
  // Destroy the JetStream context first: it may hold pending publish acks.
  jsCtx_Destroy(js_);
  close_and_wait();
  natsOptions_Destroy(opts_);
}

void NatsLink::close_and_wait() {
  natsConnection_Close(nc_);
  natsConnection_Destroy(nc_);
  std::unique_lock<std::mutex> lock(state_->mu);
  if (!state_->cv.wait_for(lock, kClosedCallbackWait, [this] { return state_->closed; })) {
    // A callback may still come: leave it its state rather than free it under it.
    spdlog::error("NATS connection: no closed callback within {} s; leaking its state",
                  kClosedCallbackWait.count());
    lock.unlock();
    (void)state_.release();
  }
}

std::uint64_t NatsLink::disconnects() const {
  return state_->disconnects.load(std::memory_order_relaxed);
}

std::uint64_t NatsLink::reconnects() const {
  return state_->reconnects.load(std::memory_order_relaxed);
}

bool NatsLink::connected() const {
  return natsConnection_Status(nc_) == NATS_CONN_STATUS_CONNECTED;
}

bool NatsLink::ensure_stream(const StreamSettings& s, std::string& error) {
  jsStreamInfo* info = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus st = js_GetStreamInfo(&info, js_, s.name.c_str(), nullptr, &jerr);
  if (st == NATS_OK) {
    jsStreamInfo_Destroy(info);
    return true;
  }
  if (st != NATS_NOT_FOUND) {
    error = "stream " + s.name + " lookup: " + nats_error(st) + " " + nats_GetLastError(nullptr);
    return false;
  }
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  std::vector<const char*> subjects;
  for (const auto& subject : s.subjects) subjects.push_back(subject.c_str());
  cfg.Name = s.name.c_str();
  cfg.Subjects = subjects.data();
  cfg.SubjectsLen = static_cast<int>(subjects.size());
  cfg.Retention = js_LimitsPolicy;
  cfg.Discard = js_DiscardOld;
  cfg.MaxMsgs = s.max_msgs;
  cfg.MaxBytes = s.max_bytes;
  cfg.MaxAge = s.max_age_ns;
  cfg.Storage = s.memory_storage ? js_MemoryStorage : js_FileStorage;
  st = js_AddStream(&info, js_, &cfg, nullptr, &jerr);
  if (st == NATS_OK) {
    jsStreamInfo_Destroy(info);
    return true;
  }
  // Another replica may have created it in between.
  if (js_GetStreamInfo(&info, js_, s.name.c_str(), nullptr, &jerr) == NATS_OK) {
    jsStreamInfo_Destroy(info);
    return true;
  }
  error = "stream " + s.name + " create: " + nats_error(st) + " " + nats_GetLastError(nullptr);
  return false;
}

void NatsLink::on_disconnected(natsConnection*, void* closure) {
  static_cast<CallbackState*>(closure)->disconnects.fetch_add(1, std::memory_order_relaxed);
}

void NatsLink::on_reconnected(natsConnection*, void* closure) {
  static_cast<CallbackState*>(closure)->reconnects.fetch_add(1, std::memory_order_relaxed);
}

void NatsLink::on_closed(natsConnection*, void* closure) {
  auto* state = static_cast<CallbackState*>(closure);
  // Notified under the lock: the destructor may free the state as soon as it sees `closed`.
  std::lock_guard<std::mutex> lock(state->mu);
  state->closed = true;
  state->cv.notify_all();
}

void NatsLink::on_connected(natsConnection*, void*) {}

}  // namespace driftwatch::fleet
