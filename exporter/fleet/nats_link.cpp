#include "exporter/fleet/nats_link.h"

#include <stdexcept>
#include <vector>

namespace driftwatch::fleet {

namespace {

void check(natsStatus s, const char* what) {
  if (s != NATS_OK) throw std::runtime_error(std::string(what) + ": " + nats_error(s));
}

}  // namespace

std::string nats_error(natsStatus s) {
  return std::string(natsStatus_GetText(s)) + " (" + std::to_string(static_cast<int>(s)) + ")";
}

NatsLink::NatsLink(const std::string& url, const std::string& name, jsOptions* js_options) {
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
    check(natsOptions_SetRetryOnFailedConnect(opts_, true, &NatsLink::on_connected, this),
          "natsOptions_SetRetryOnFailedConnect");
    check(natsOptions_SetDisconnectedCB(opts_, &NatsLink::on_disconnected, this),
          "natsOptions_SetDisconnectedCB");
    check(natsOptions_SetReconnectedCB(opts_, &NatsLink::on_reconnected, this),
          "natsOptions_SetReconnectedCB");
    const natsStatus s = natsConnection_Connect(&nc_, opts_);
    if (s != NATS_OK && s != NATS_NOT_YET_CONNECTED) check(s, "natsConnection_Connect");
    check(natsConnection_JetStream(&js_, nc_, js_options), "natsConnection_JetStream");
  } catch (...) {
    if (js_) jsCtx_Destroy(js_);
    if (nc_) natsConnection_Destroy(nc_);
    if (opts_) natsOptions_Destroy(opts_);
    throw;
  }
}

NatsLink::~NatsLink() {
  // Destroy the JetStream context first: it may hold pending publish acks.
  jsCtx_Destroy(js_);
  natsConnection_Close(nc_);
  natsConnection_Destroy(nc_);
  natsOptions_Destroy(opts_);
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
  static_cast<NatsLink*>(closure)->disconnects_.fetch_add(1, std::memory_order_relaxed);
}

void NatsLink::on_reconnected(natsConnection*, void* closure) {
  static_cast<NatsLink*>(closure)->reconnects_.fetch_add(1, std::memory_order_relaxed);
}

void NatsLink::on_connected(natsConnection*, void*) {}

}  // namespace driftwatch::fleet
