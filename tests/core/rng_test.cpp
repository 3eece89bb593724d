#include "core/rng.h"

#include <catch2/catch.hpp>

using namespace mortal;

TEST_CASE("random streams are fixed by seed, name and index, and differ otherwise", "[rng]") {
  CHECK(make_rng(5, "device")() == make_rng(5, "device")());
  CHECK(make_rng(5, "device")() != make_rng(6, "device")());
  CHECK(make_rng(5, "device")() != make_rng(5, "shuffle")());
  CHECK(make_rng(5, "device", 0)() != make_rng(5, "device", 1)());
  // Stable across builds: the seed derivation is our own arithmetic, not std::hash.
  CHECK(stream_seed(1, "") == stream_seed(1, ""));
}
