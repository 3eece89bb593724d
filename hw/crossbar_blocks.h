#pragma once
// Internal to the crossbar's source files (hw/crossbar*.cpp): work on fixed blocks of devices or samples.
#include <cstdint>
#include <vector>

#include "core/parallel.h"
#include "hw/fast_rng.h"

namespace mortal::hw {

// Runs f(block, rng) for blocks 0 .. blocks - 1 on the cores, each block with its own stream under one key
// drawn from rng, so the numbers do not depend on the thread count; returns f's results summed in block
// order.
template <typename F>
double on_blocks(int blocks, FastRng& rng, const F& f) {
  std::vector<double> part(std::size_t(blocks), 0.0);
  const std::uint64_t key = rng();
  parallel_for(blocks, [&](int blk) {
    FastRng r(key, std::uint64_t(blk));
    part[std::size_t(blk)] = f(blk, r);
  });
  double sum = 0;
  for (double p : part) sum += p;
  return sum;
}

}  // namespace mortal::hw
