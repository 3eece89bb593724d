#include "sim/rules/mixed_precision.h"

#include <catch2/catch.hpp>

#include "core/error.h"
#include "hw/chip.h"

using namespace mortal;

// On a pulsed chip of ideal devices (a constant step, no noise of any kind) every step writes whole device
// steps only, and what it does not write stays in the digital accumulator: weight plus accumulator is the
// exact SGD weight after every step. The ledger shows the conversions of d (and of x beyond the first layer).
TEST_CASE("mixed-precision steps write whole device steps and keep the rest in the accumulator", "[insitu]") {
  hw::Ledger ledger;
  hw::ChipParams cp = hw::chip_preset("ideal", {12, 6, 4});
  cp.crossbar.update.kind = hw::UpdateKind::pulsed;
  hw::Chip chip("chip", cp, ledger, 3);
  const Mat w0 = Mat::Random(6, 12) * 0.2f, w1 = Mat::Random(4, 6) * 0.2f;
  chip.program(0, w0);
  chip.program(1, w1);
  const Mat start0 = chip.weights(0).weights_normalised(), start1 = chip.weights(1).weights_normalised();
  MixedPrecision rule({}, chip);
  hw::FastRng rng(5, "test");
  const float lr = 0.01f;
  Mat exact0 = start0, exact1 = start1;
  const double dw_min = chip.weights(0).params().device.dw_min;
  for (int step = 0; step < 5; ++step) {
    const Mat x0 = Mat::Random(8, 12), d0 = Mat::Random(8, 6) * 0.5f, x1 = Mat::Random(8, 6), d1 = Mat::Random(8, 4);
    rule.step(RuleStep{0, x0, d0, lr, lr, chip.now_s(), 0, rng});
    rule.step(RuleStep{1, x1, d1, lr, lr, chip.now_s(), 0, rng});
    exact0 += lr * d0.transpose() * x0;  // w_scale 1: user units are normalised units
    exact1 += lr * d1.transpose() * x1;
  }
  const Mat moved0 = (chip.weights(0).weights_normalised() - start0) / float(dw_min);
  INFO("largest distance from a whole step: " << (moved0.array() - moved0.array().round()).abs().maxCoeff());
  CHECK((moved0.array() - moved0.array().round()).abs().maxCoeff() < 1e-2f);
  CHECK(moved0.cwiseAbs().maxCoeff() >= 1.0f);
  CHECK(rule.accumulator(0).cwiseAbs().maxCoeff() < dw_min * 1.0001);
  CHECK((chip.weights(0).weights_normalised() + rule.accumulator(0) - exact0).cwiseAbs().maxCoeff() < 1e-5f);
  CHECK((chip.weights(1).weights_normalised() + rule.accumulator(1) - exact1).cwiseAbs().maxCoeff() < 1e-5f);
  double conversions = 0;
  for (const auto& c : ledger.counters())
    if (c.event == "adc_conversion" && c.module.find("update_adc") != std::string::npos) conversions += c.count;
  CHECK(conversions == 5 * (8 * 6 + (8 * 4 + 8 * 6)));  // d of both layers, x of the second
}

TEST_CASE("mixed-precision accumulators survive a checkpoint", "[insitu]") {
  hw::Ledger ledger;
  hw::ChipParams cp = hw::chip_preset("ideal", {5, 3});
  cp.crossbar.update.kind = hw::UpdateKind::pulsed;
  hw::Chip chip("chip", cp, ledger, 1);
  MixedPrecision a({}, chip), b({}, chip);
  hw::FastRng rng(1, "test");
  const Mat x = Mat::Random(4, 5), d = Mat::Random(4, 3);
  a.step(RuleStep{0, x, d, 0.001f, 0.001f, chip.now_s(), 0, rng});
  REQUIRE(a.accumulator(0).cwiseAbs().maxCoeff() > 0);
  Checkpoint c;
  a.save(c);
  b.restore(c);
  CHECK(b.accumulator(0) == a.accumulator(0));
}
