// Fixed-width fields at byte offsets of a little-endian message: the one
// reading and writing helper of the fleet's wire formats (fleet_record.h,
// label_message.h). memcpy, so offsets need no alignment.
//
// Thread contract: free functions on caller-owned buffers; any thread.
#pragma once

#include <cstddef>
#include <cstring>

namespace driftwatch::fleet::wire {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the fleet's messages are little-endian; these helpers copy host words");

template <typename T>
void put(char* base, std::size_t offset, T value) {
  std::memcpy(base + offset, &value, sizeof(T));
}

template <typename T>
T get(const unsigned char* base, std::size_t offset) {
  T value;
  std::memcpy(&value, base + offset, sizeof(T));
  return value;
}

}  // namespace driftwatch::fleet::wire
