// Where fleet records live in JetStream: the stream (created by whichever
// side connects first when it is missing), its retention limits, and the
// subjects and NATS URLs the flags name. docs/fleet.md explains the choices.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace driftwatch::fleet {

struct StreamSettings {
  // JetStream stream names may not contain '.', '*', '>' or spaces.
  std::string name = "DRIFTWATCH";
  // Every model's records subject (driftwatch.<model>.<version>.records).
  std::vector<std::string> subjects = {"driftwatch.>"};
  // Retention (limits policy, oldest messages discarded first): what the
  // fleet detector can still catch up on after an outage. A record dropped
  // here before the detector read it is a gap it counts.
  std::int64_t max_msgs = -1;                                         // -1: no limit
  std::int64_t max_bytes = std::int64_t{1} << 30;                     // 1 GiB
  std::int64_t max_age_ns = std::int64_t{24} * 3600 * 1'000'000'000;  // 24 h
  bool memory_storage = false;  // false: file storage (survives a server restart)
};

// The default records subject of a model: driftwatch.<model>.<version>.records,
// with every character that NATS gives a meaning ('.', '*', '>', spaces and
// control characters) replaced by '_'; empty parts become "unknown".
std::string default_subject(const std::string& model, const std::string& version);
// The labels subject of a model (LabelRelay, core NATS, outside the stream's
// driftwatch.>): driftwatch-labels.<model>.<version>, tokens as above.
std::string default_labels_subject(const std::string& model, const std::string& version);

// True for "nats://HOST:PORT" (PORT 1-65535, HOST non-empty), or several of
// them separated by commas (a cluster); else false with `why` set.
bool valid_nats_url(const std::string& url, std::string& why);

// True for a subject a publisher may use: non-empty tokens separated by '.',
// no wildcards, spaces or control characters.
bool valid_subject(const std::string& subject, std::string& why);

}  // namespace driftwatch::fleet
