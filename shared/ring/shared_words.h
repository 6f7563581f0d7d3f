// Copies between private memory and a slot's payload as 8-byte atomic
// accesses: release stores in the writer, acquire loads in the reader.
// A reader may copy a slot while a writer overwrites it (the seqlock re-check
// then rejects the copy). If a reader's load sees a word of a newer write,
// that word's release store synchronizes with the load, so the newer writer's
// claim of the slot (sequenced before its stores) is visible to the reader's
// re-check of the slot state. This keeps the race defined behaviour without
// stand-alone fences, which ThreadSanitizer does not model. On x86-64 both
// are plain moves.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace driftwatch::ring::detail {

// Writes `bytes` from src to the 8-byte aligned dst, zero-padding the last
// word.
inline void store_words(std::uint8_t* dst, const void* src, std::size_t bytes) {
  const auto* in = static_cast<const std::uint8_t*>(src);
  auto* out = reinterpret_cast<std::uint64_t*>(dst);
  const std::size_t full = bytes / 8;
  for (std::size_t i = 0; i < full; ++i) {
    std::uint64_t w;
    std::memcpy(&w, in + 8 * i, 8);
    __atomic_store_n(out + i, w, __ATOMIC_RELEASE);
  }
  if (const std::size_t tail = bytes % 8; tail != 0) {
    std::uint64_t w = 0;
    std::memcpy(&w, in + 8 * full, tail);
    __atomic_store_n(out + full, w, __ATOMIC_RELEASE);
  }
}

// Reads `bytes` from the 8-byte aligned src (which has room up to the next
// multiple of 8) into dst.
inline void load_words(void* dst, const std::uint8_t* src, std::size_t bytes) {
  auto* out = static_cast<std::uint8_t*>(dst);
  const auto* in = reinterpret_cast<const std::uint64_t*>(src);
  const std::size_t full = bytes / 8;
  for (std::size_t i = 0; i < full; ++i) {
    const std::uint64_t w = __atomic_load_n(in + i, __ATOMIC_ACQUIRE);
    std::memcpy(out + 8 * i, &w, 8);
  }
  if (const std::size_t tail = bytes % 8; tail != 0) {
    const std::uint64_t w = __atomic_load_n(in + full, __ATOMIC_ACQUIRE);
    std::memcpy(out + 8 * full, &w, tail);
  }
}

}  // namespace driftwatch::ring::detail
