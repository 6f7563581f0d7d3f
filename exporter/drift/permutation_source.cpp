#include "exporter/drift/permutation_source.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

#include "exporter/drift/fnv1a.h"

namespace driftwatch::drift {

std::uint64_t uniform_below(std::mt19937_64& rng, std::uint64_t bound) {
  if (bound == 0) throw std::invalid_argument("uniform_below: bound must be positive");
  unsigned __int128 m = static_cast<unsigned __int128>(rng()) * bound;
  auto low = static_cast<std::uint64_t>(m);
  if (low < bound) {
    const std::uint64_t threshold = (0 - bound) % bound;
    while (low < threshold) {
      m = static_cast<unsigned __int128>(rng()) * bound;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

PermutationSource::PermutationSource(std::size_t n, bool recorded, std::string origin)
    : n_(n), recorded_(recorded), origin_(std::move(origin)) {}

PermutationSource PermutationSource::seeded(std::size_t n, std::uint64_t seed) {
  PermutationSource s(n, false, "seed " + std::to_string(seed));
  s.rng_.seed(seed);
  s.fingerprint_ = Fnv1a64().add(std::string_view("seeded")).add(seed).value();
  s.rows_.resize(n);
  for (std::size_t i = 0; i < n; ++i) s.rows_[i] = static_cast<std::int64_t>(i);
  return s;
}

PermutationSource PermutationSource::recorded(std::size_t n, std::vector<std::int64_t> rows,
                                              const std::string& origin) {
  if (n == 0) throw std::invalid_argument(origin + ": permutations of an empty set");
  if (rows.size() % n != 0 || rows.empty()) {
    throw std::invalid_argument(origin + ": expected [k, " + std::to_string(n) +
                                "] permutation rows");
  }
  std::vector<char> seen(n);
  for (std::size_t r = 0; r < rows.size() / n; ++r) {
    std::fill(seen.begin(), seen.end(), 0);
    for (std::size_t i = 0; i < n; ++i) {
      const std::int64_t v = rows[r * n + i];
      if (v < 0 || static_cast<std::uint64_t>(v) >= n || seen[static_cast<std::size_t>(v)]) {
        throw std::invalid_argument(origin + ": row " + std::to_string(r) +
                                    " is not a permutation of 0.." + std::to_string(n - 1));
      }
      seen[static_cast<std::size_t>(v)] = 1;
    }
  }
  PermutationSource s(n, true, origin);
  s.rows_ = std::move(rows);
  s.fingerprint_ = Fnv1a64()
                       .add(std::string_view("recorded"))
                       .add(static_cast<std::uint64_t>(n))
                       .add_bytes(s.rows_.data(), s.rows_.size() * sizeof(std::int64_t))
                       .value();
  return s;
}

const std::int64_t* PermutationSource::next(std::size_t tail) {
  if (recorded_) {
    if (exhausted()) {
      throw std::out_of_range(origin_ + ": all " + std::to_string(recorded_rows()) +
                              " recorded permutations are used up");
    }
    return rows_.data() + (next_row_++) * n_;
  }
  if (tail > n_) tail = n_;
  // Partial Fisher-Yates from the back: the last `tail` slots become a uniform
  // ordered sample without replacement, the front keeps the rest.
  for (std::size_t i = n_; i > n_ - tail; --i) {
    const std::size_t j = static_cast<std::size_t>(uniform_below(rng_, i));
    std::swap(rows_[i - 1], rows_[j]);
  }
  return rows_.data();
}

}  // namespace driftwatch::drift
