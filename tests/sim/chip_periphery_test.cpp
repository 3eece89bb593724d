#include "sim/chip_periphery.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace mortal;

// Each TEST_CASE elaborates its own design: ctest runs every case in a fresh process.

namespace {
Mat periphery_outputs() {
  Mat z(5, 4);
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 4; ++j) z(i, j) = std::sin(0.4f + 1.3f * i + 0.9f * j);
  return z;
}
}  // namespace

TEST_CASE("a chip's periphery without spread or noise computes what the exact periphery does", "[chip]") {
  hw::Ledger ledger;
  hw::Chip chip("chip", hw::chip_preset("ideal", {6, 4}), ledger, 1);
  for (GoodnessKind kind : {GoodnessKind::sum_squares, GoodnessKind::mean_squares}) {
    FFLayerParams lp;
    lp.objective.kind = kind;
    lp.objective.theta = 0.7f;
    hw::FastRng rng(3, "test.periphery");
    ChipPeriphery analog(chip, 0, lp.objective, 0.7f, rng);
    ExactPeriphery exact(lp, 0.7f);
    Mat ya = periphery_outputs(), ye = periphery_outputs();
    Vec ga(5), ge(5), pa(5), pe(5), t(5);
    t << 1, 0, 1, 0, 0.3f;
    analog.activate(ya, ga);
    exact.activate(ye, ge);
    CHECK(ya == ye);
    CHECK(ga.isApprox(ge, 1e-6f));
    analog.probability(pa, ga);
    exact.probability(pe, ge);
    CHECK(pa.isApprox(pe, 1e-6f));
    CHECK(analog.cross_entropy(pa, ga, t) == Approx(exact.cross_entropy(pe, ge, t)).epsilon(1e-5));
    Mat na(5, 4), ne(5, 4);
    analog.normalise(na, ya);
    exact.normalise(ne, ye);
    CHECK(na.isApprox(ne, 1e-5f));
    // Every use took its circuit's time: ReLU, integrator, sigmoid unit and normaliser, 5 rows each.
    const double ns = chip.relu(0).time_ns(5) + chip.goodness(0).time_ns(5) + chip.sigmoid(0).time_ns(5) +
                      chip.normaliser(0).time_ns(5);
    CHECK(analog.take_ns() == ns);
    CHECK(analog.take_ns() == 0);
  }
}

TEST_CASE("a chip's sigmoid units with spread give each chip its own probabilities, which the step learns from",
          "[chip]") {
  hw::ChipParams cp = hw::chip_preset("ideal", {6, 4});
  cp.sigmoid.gain_dtod = 0.2;
  cp.sigmoid.offset_dtod = 0.3;
  hw::Ledger ledger;
  hw::Chip chip("chip", cp, ledger, 2);
  FFLayerParams lp;
  lp.objective.theta = 0.7f;
  hw::FastRng rng(3, "test.periphery");
  ChipPeriphery analog(chip, 0, lp.objective, 0.7f, rng);
  Mat y = periphery_outputs(), d(5, 4);
  Vec g(5), p(5), c(5), t(5);
  t << 1, 0, 1, 0, 1;
  PeerState peer(4, lp.peer_initial);
  ff_step(analog, lp, y, g, p, c, d, t, 0.2f, peer);
  // p = sigmoid(gain (g - theta) + offset) of the chip's one sigmoid circuit
  const float gain = chip.sigmoid(0).gain()(0), offset = chip.sigmoid(0).offset()(0);
  REQUIRE(std::abs(gain - 1) + std::abs(offset) > 0.01f);
  for (int i = 0; i < 5; ++i) {
    const float expected = 1 / (1 + std::exp(-(gain * (g(i) - 0.7f) + offset)));
    CHECK(p(i) == Approx(expected).epsilon(1e-5));
    CHECK(c(i) == Approx(t(i) - expected).epsilon(1e-4).margin(1e-6));
  }
}
