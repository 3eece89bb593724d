#include "core/rng.h"

namespace mortal {

std::uint64_t splitmix64(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t stream_seed(std::uint64_t seed, std::string_view name, std::uint64_t index) {
  // FNV-1a over the name: std::hash is not stable across library versions.
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : name) h = (h ^ c) * 0x100000001b3ULL;
  return splitmix64(splitmix64(splitmix64(seed) ^ h) ^ index);
}

}  // namespace mortal
