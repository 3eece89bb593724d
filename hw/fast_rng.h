#pragma once
// Bulk random numbers for the per-device noise paths. A crossbar draws hundreds of thousands of numbers per
// batch, so it uses xoshiro256+ (Blackman & Vigna 2018), about four times faster than mt19937_64, seeded
// from the run's named stream (core/rng.h): still one seed per run, still reproducible.
#include <boost/random/normal_distribution.hpp>

#include <array>
#include <cstdint>
#include <limits>

#include "core/rng.h"
#include "core/tensor.h"

namespace mortal::hw {

class FastRng {
 public:
  using result_type = std::uint64_t;

  explicit FastRng(Rng& seeder) { seed(seeder); }
  FastRng(std::uint64_t seed, std::string_view name, std::uint64_t index = 0) {
    Rng r = make_rng(seed, name, index);
    this->seed(r);
  }

  // Stream `index` under one 64-bit key (splitmix64 expands them into the state, as xoshiro's authors
  // recommend): the per-piece streams of work split across threads (core/parallel.h).
  FastRng(std::uint64_t key, std::uint64_t index) {
    std::uint64_t z = key ^ (index * 0xD1B54A32D192ED03ull);
    for (auto& w : s_) {
      z += 0x9E3779B97F4A7C15ull;
      std::uint64_t v = z;
      v = (v ^ (v >> 30)) * 0xBF58476D1CE4E5B9ull;
      v = (v ^ (v >> 27)) * 0x94D049BB133111EBull;
      w = v ^ (v >> 31);
    }
    if ((s_[0] | s_[1] | s_[2] | s_[3]) == 0) s_[0] = 1;
  }

  void seed(Rng& seeder) {
    for (auto& w : s_) w = seeder();
    if ((s_[0] | s_[1] | s_[2] | s_[3]) == 0) s_[0] = 1;  // the all-zero state is a fixed point
  }

  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return std::numeric_limits<result_type>::max(); }

  result_type operator()() {
    const std::uint64_t result = s_[0] + s_[3];
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = (s_[3] << 45) | (s_[3] >> 19);
    return result;
  }

  // The engine state, for checkpoints (boost's normal distribution keeps none: ziggurat).
  std::array<std::uint64_t, 4> state() const { return {s_[0], s_[1], s_[2], s_[3]}; }
  void set_state(const std::array<std::uint64_t, 4>& s) {
    for (int k = 0; k < 4; ++k) s_[k] = s[std::size_t(k)];
  }

  // Uniform in [0, 1) from the top 24 bits (exactly representable in float).
  float uniform() { return float((*this)() >> 40) * 0x1.0p-24f; }

  float normal() { return normal_(*this); }

 private:
  std::uint64_t s_[4] = {1, 2, 3, 4};
  boost::random::normal_distribution<float> normal_;
};

// Fill with independent N(0, 1) / U[0, 1) samples.
inline void fill_normal(MatRef out, FastRng& rng) {
  for (Eigen::Index r = 0; r < out.rows(); ++r)
    for (Eigen::Index c = 0; c < out.cols(); ++c) out(r, c) = rng.normal();
}

// n independent N(0, 1) samples into the first n entries of `out` by the Box-Muller transform, evaluated
// with Eigen's vectorised log, sqrt, sin and cos: several times faster than drawing one at a time.
// scratch: reused.
inline void fill_normal_bulk(Eigen::ArrayXf& out, Eigen::Index n, FastRng& rng, Eigen::ArrayXf& scratch) {
  const Eigen::Index m = (n + 1) / 2;
  // The buffers only grow: n changes from call to call (the devices a block's pulses touch), and resizing
  // to each would allocate every time.
  if (scratch.size() < 2 * m) scratch.resize(2 * m);
  // Two 24-bit uniforms per 64-bit draw (bits 40-63 and 16-39; xoshiro256+'s weak low bits unused).
  for (Eigen::Index k = 0; k < 2 * m; k += 2) {
    const std::uint64_t r = rng();
    scratch[k] = float(r >> 40) * 0x1.0p-24f;
    scratch[k + 1] = float((r >> 16) & 0xFFFFFFu) * 0x1.0p-24f;
  }
  if (out.size() < 2 * m) out.resize(2 * m);
  // u1 in (0, 1] keeps the log finite.
  const auto u1 = 1.0f - scratch.head(m);
  const auto angle = 6.28318530717958647692f * scratch.segment(m, m);
  out.head(m) = (-2.0f * u1.log()).sqrt() * angle.cos();
  out.segment(m, m) = (-2.0f * u1.log()).sqrt() * angle.sin();
}
inline void fill_uniform(MatRef out, FastRng& rng) {
  for (Eigen::Index r = 0; r < out.rows(); ++r)
    for (Eigen::Index c = 0; c < out.cols(); ++c) out(r, c) = rng.uniform();
}

}  // namespace mortal::hw
