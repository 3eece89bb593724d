#pragma once
// Every random number of a run flows from its one seed. Components do not share an engine: each asks for
// its own stream by name (and index), so adding draws in one component never shifts another's numbers.
#include <boost/random/mersenne_twister.hpp>

#include <cstdint>
#include <string_view>

namespace mortal {

using Rng = boost::random::mt19937_64;

// SplitMix64's finaliser (Steele, Lea & Flood 2014): a bijection of 64-bit words that spreads every input
// bit; seeds are derived from seeds by it.
std::uint64_t splitmix64(std::uint64_t z);

// Seed of the stream `name`/`index` of a run seeded with `seed`; stable across platforms and builds.
std::uint64_t stream_seed(std::uint64_t seed, std::string_view name, std::uint64_t index = 0);

inline Rng make_rng(std::uint64_t seed, std::string_view name, std::uint64_t index = 0) {
  return Rng(stream_seed(seed, name, index));
}

}  // namespace mortal
