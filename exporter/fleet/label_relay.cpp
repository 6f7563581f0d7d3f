#include "exporter/fleet/label_relay.h"

#include <nats/nats.h>

#include <stdexcept>

#include "exporter/fleet/nats_link.h"
#include "exporter/fleet/stream_settings.h"

namespace driftwatch::fleet {

struct LabelRelay::Subscription {
  natsSubscription* sub = nullptr;
  ~Subscription() {
    if (sub == nullptr) return;
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
  }
};

LabelRelay::LabelRelay(LabelRelayOptions options) : options_(std::move(options)) {
  std::string why;
  if (!valid_nats_url(options_.url, why)) throw std::invalid_argument(why);
  if (!valid_subject(options_.subject, why)) throw std::invalid_argument(why);
  link_ = std::make_unique<NatsLink>(options_.url, options_.name, nullptr);
  sub_ = std::make_unique<Subscription>();
  // Allowed before the first connect: cnats sends it once connected.
  const natsStatus s =
      natsConnection_SubscribeSync(&sub_->sub, link_->connection(), options_.subject.c_str());
  if (s != NATS_OK) {
    throw std::runtime_error("subscribe to " + options_.subject + ": " + nats_error(s));
  }
}

// The subscription goes before the connection it belongs to.
LabelRelay::~LabelRelay() { sub_.reset(); }

bool LabelRelay::send(const LabelMessage& label) {
  char bytes[kLabelMessageBytes];
  encode_label(label, bytes);
  const natsStatus s = natsConnection_Publish(link_->connection(), options_.subject.c_str(), bytes,
                                              static_cast<int>(sizeof(bytes)));
  if (s != NATS_OK) {
    ++stats_.send_errors;
    return false;
  }
  ++stats_.sent;
  return true;
}

void LabelRelay::take(std::vector<LabelMessage>& out, std::size_t max) {
  for (std::size_t i = 0; i < max; ++i) {
    natsMsg* msg = nullptr;
    if (natsSubscription_NextMsg(&msg, sub_->sub, 0) != NATS_OK) return;  // none pending
    LabelMessage label;
    const DecodeStatus d = decode_label(
        natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg)), label);
    natsMsg_Destroy(msg);
    if (d != DecodeStatus::kOk) {
      ++stats_.rejected;
      continue;
    }
    ++stats_.received;
    out.push_back(label);
  }
}

LabelRelayStats LabelRelay::stats() const {
  LabelRelayStats s = stats_;
  s.connected = link_->connected();
  int64_t dropped = 0;
  if (natsSubscription_GetDropped(sub_->sub, &dropped) == NATS_OK && dropped > 0) {
    s.dropped = static_cast<std::uint64_t>(dropped);
  }
  return s;
}

}  // namespace driftwatch::fleet
