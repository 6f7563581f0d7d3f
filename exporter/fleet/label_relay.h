// LabelRelay: ground-truth labels between the replicas' exporters over core
// NATS, one subject per model (driftwatch-labels.<model>.<version>). Every
// exporter publishes the labels it cannot join (their prediction was made by
// another replica) and receives everybody's; the feedback stage keeps those
// of its own generations (docs/feedback.md, "Several replicas").
//
// Core NATS, not JetStream: a label is small and useful only to an exporter
// that is running and holds the prediction; one that is not gets nothing to
// replay when it starts (its table is empty anyway). At most once: a label
// published while no owner is subscribed is gone, counted as sent only.
//
// send() never waits: while NATS is down, cnats keeps what is published in
// its reconnect buffer (8 MB) and sends it on reconnect. take() polls a
// synchronous subscription without waiting: no callback thread touches this
// object. Messages that are not label messages are counted and skipped.
//
// Thread contract: one thread calls every member (the record fan-out's).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "exporter/fleet/label_message.h"

namespace driftwatch::fleet {

class NatsLink;

struct LabelRelayOptions {
  std::string url;      // nats://HOST:PORT (valid_nats_url)
  std::string subject;  // default_labels_subject()
  std::string name;     // the connection's name, as the server shows it
};

struct LabelRelayStats {
  bool connected = false;
  std::uint64_t sent = 0;
  std::uint64_t send_errors = 0;
  std::uint64_t received = 0;
  std::uint64_t rejected = 0;  // on the subject, not a label message
  std::uint64_t dropped = 0;   // cnats' pending limit overflowed (slow consumer)
};

class LabelRelay {
 public:
  // Never blocks on the network (NatsLink). Throws std::invalid_argument for
  // a URL or subject the checks refuse, std::runtime_error for one cnats does.
  explicit LabelRelay(LabelRelayOptions options);
  ~LabelRelay();
  LabelRelay(const LabelRelay&) = delete;
  LabelRelay& operator=(const LabelRelay&) = delete;

  // Publishes one label; false (counted) when cnats refuses it.
  bool send(const LabelMessage& label);
  // Appends up to `max` labels that arrived since the last call.
  void take(std::vector<LabelMessage>& out, std::size_t max = 4096);

  LabelRelayStats stats() const;
  const std::string& subject() const { return options_.subject; }

 private:
  LabelRelayOptions options_;
  std::unique_ptr<NatsLink> link_;
  struct Subscription;
  std::unique_ptr<Subscription> sub_;
  LabelRelayStats stats_;
};

}  // namespace driftwatch::fleet
