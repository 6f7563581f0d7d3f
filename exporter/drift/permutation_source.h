// Where the random permutations of the reference indices come from: either a
// seeded generator (reproducible across machines and standard libraries) or
// rows recorded elsewhere, e.g. the torch.randperm draws of an alibi-detect run,
// so a replay can reproduce that run exactly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace driftwatch::drift {

class PermutationSource {
 public:
  // Permutations of 0..n-1 drawn with std::mt19937_64 and a bounded-integer
  // rule defined here (std::shuffle and std::uniform_int_distribution differ
  // between standard libraries, which would break --seed reproducibility).
  static PermutationSource seeded(std::size_t n, std::uint64_t seed);

  // `rows` is [count, n] row-major; every row must be a permutation of
  // 0..n-1 (std::invalid_argument naming `origin` otherwise).
  static PermutationSource recorded(std::size_t n, std::vector<std::int64_t> rows,
                                    const std::string& origin);

  std::size_t n() const { return n_; }
  bool is_recorded() const { return recorded_; }
  // Recorded rows not yet handed out; a seeded source never runs out.
  bool exhausted() const { return recorded_ && next_row_ * n_ >= rows_.size(); }
  std::size_t recorded_rows() const { return recorded_ ? rows_.size() / n_ : 0; }
  const std::string& origin() const { return origin_; }

  // Identifies the permutations this source will hand out, for cache keys:
  // the recorded rows, or the seed.
  std::uint64_t fingerprint() const { return fingerprint_; }

  // The next permutation (n indices, valid until the next call). Callers
  // promise to use only its last `tail` entries and the set of the others, so
  // a seeded source draws just those `tail` positions (O(tail), not O(n)).
  // Throws std::out_of_range when recorded rows are exhausted.
  const std::int64_t* next(std::size_t tail);

 private:
  PermutationSource(std::size_t n, bool recorded, std::string origin);

  std::size_t n_;
  bool recorded_;
  std::string origin_;
  std::vector<std::int64_t> rows_;  // recorded rows, or the generator's working permutation
  std::size_t next_row_ = 0;
  std::uint64_t fingerprint_ = 0;
  std::mt19937_64 rng_;
};

// A uniform integer in [0, bound) from a 64-bit generator (Lemire's
// multiply-and-reject method: unbiased and the same on every platform).
std::uint64_t uniform_below(std::mt19937_64& rng, std::uint64_t bound);

}  // namespace driftwatch::drift
