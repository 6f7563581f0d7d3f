// FNV-1a, 64 bit: a small, stable, dependency-free hash used to key the
// thresholds cache. Not cryptographic: it detects changes, not tampering.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace driftwatch::drift {

class Fnv1a64 {
 public:
  static constexpr std::uint64_t kOffsetBasis = 0xcbf29ce484222325ULL;
  static constexpr std::uint64_t kPrime = 0x100000001b3ULL;

  Fnv1a64& add_bytes(const void* data, std::size_t size) {
    const auto* p = static_cast<const unsigned char*>(data);
    std::uint64_t h = hash_;
    for (std::size_t i = 0; i < size; ++i) {
      h ^= p[i];
      h *= kPrime;
    }
    hash_ = h;
    return *this;
  }
  template <typename T>
  Fnv1a64& add(const T& value) {
    return add_bytes(&value, sizeof(value));
  }
  Fnv1a64& add(std::string_view s) {
    add(static_cast<std::uint64_t>(s.size()));
    return add_bytes(s.data(), s.size());
  }

  std::uint64_t value() const { return hash_; }

 private:
  std::uint64_t hash_ = kOffsetBasis;
};

}  // namespace driftwatch::drift
