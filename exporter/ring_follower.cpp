#include "exporter/ring_follower.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/types.h>

#include <cerrno>
#include <stdexcept>

#include "shared/ring/ring_error.h"

namespace driftwatch::exporter {

bool process_alive(std::uint32_t pid) {
  if (pid == 0) return false;
  if (::kill(static_cast<pid_t>(pid), 0) == 0) return true;
  return errno == EPERM;
}

RingFollower::RingFollower(Options options) : options_(std::move(options)) { try_attach(); }

RingFollower::~RingFollower() = default;

const ring::SegmentInfo& RingFollower::info() const {
  if (!reader_) throw std::logic_error("RingFollower::info() before the ring was attached");
  return reader_->info();
}

ring::RequestCounts RingFollower::request_counts() const {
  if (!reader_)
    throw std::logic_error("RingFollower::request_counts() before the ring was attached");
  return reader_->request_counts();
}

bool RingFollower::producer_alive() const {
  return attached() && process_alive(reader_->info().producer_pid);
}

void RingFollower::try_attach() {
  next_attempt_ = std::chrono::steady_clock::now() + options_.retry_interval;
  try {
    reader_ = std::make_unique<ring::RingReader>(options_.reader);
  } catch (const ring::RingError& e) {
    using Kind = ring::RingError::Kind;
    if (e.kind() == Kind::kWrongMagic || e.kind() == Kind::kUnsupportedVersion) throw;
    if (!announced_missing_) {
      spdlog::warn("ring {} not readable yet ({}); retrying every {} ms", options_.reader.name,
                   e.what(), options_.retry_interval.count());
      announced_missing_ = true;
    } else {
      spdlog::debug("ring {} still not readable: {}", options_.reader.name, e.what());
    }
    return;
  }
  const auto& info = reader_->info();
  spdlog::info(
      "following ring {}: generation {}, producer pid {}, model {} {}, {} classes, embedding "
      "dim {}, {} slots",
      options_.reader.name, info.generation, info.producer_pid, info.model_name, info.model_version,
      info.class_names.size(), info.embedding_dim, info.slot_count);
  last_lost_ = 0;
  last_generation_ = reader_->generation();
  changed_ = true;
}

void RingFollower::note_generation(BatchResult& result) {
  if (reader_->generation() == last_generation_) return;
  spdlog::info("producer restarted: ring {} generation {} -> {} (pid {})", options_.reader.name,
               last_generation_, reader_->generation(), reader_->info().producer_pid);
  last_generation_ = reader_->generation();
  // Only the latest change in a batch matters: info() describes it.
  result.producer_changed = true;
  result.changed_at = result.count;
}

RingFollower::BatchResult RingFollower::poll_batch(std::vector<ring::Record>& batch,
                                                   std::size_t max) {
  BatchResult result;
  if (!reader_) {
    if (std::chrono::steady_clock::now() < next_attempt_) return result;
    try_attach();
    if (!reader_) return result;
  }
  if (batch.size() < max) batch.resize(max);
  result.producer_changed = changed_;
  changed_ = false;
  while (result.count < max) {
    if (!reader_->poll(batch[result.count])) {
      // An idle reader may have switched to a new generation in that poll.
      note_generation(result);
      break;
    }
    ++result.count;
    // The reader switches segments only in a poll that found the old one
    // drained, so a change shows up before the first record of the new one
    // (in which case the record just read is the new producer's).
    if (reader_->generation() != last_generation_) {
      --result.count;
      note_generation(result);
      ++result.count;
    }
  }
  const std::uint64_t lost = reader_->records_lost();
  result.lost = lost - last_lost_;
  last_lost_ = lost;
  return result;
}

}  // namespace driftwatch::exporter
