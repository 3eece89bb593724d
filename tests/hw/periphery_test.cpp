#include "hw/periphery.h"

#include <catch2/catch.hpp>
#include <cmath>

#include "core/error.h"

using namespace mortal;
using namespace mortal::hw;

TEST_CASE("ideal periphery units compute their functions exactly", "[periphery]") {
  Ledger ledger;
  FastRng rng(1, "periphery-test");
  Mat x = Mat::Random(5, 8), y(5, 8), g(5, 1), p(5, 1);
  AnalogRelu relu("relu", {}, ledger);
  relu.apply(y, x, rng);
  CHECK(y == x.cwiseMax(0.0f));

  LengthNormaliser norm("norm", {}, ledger, 0.0);
  norm.apply(y, x, rng);
  for (int b = 0; b < 5; ++b) CHECK(y.row(b).squaredNorm() / 8 == Approx(1.0f));

  GoodnessIntegrator gi("goodness", {}, ledger);
  gi.apply(g, x, rng);
  for (int b = 0; b < 5; ++b) CHECK(g(b, 0) == Approx(x.row(b).squaredNorm()));

  SigmoidUnit sig("sigmoid", {}, ledger);
  sig.apply(p, g, 2.0f, rng);
  for (int b = 0; b < 5; ++b) CHECK(p(b, 0) == Approx(1 / (1 + std::exp(-(g(b, 0) - 2)))));

  PulseGenerator pg("pulses", {}, ledger);
  Mat prob(5, 8);
  pg.probabilities(prob, x, 2.0f);
  CHECK(prob == (2.0f * x.array().abs()).cwiseMin(1.0f).matrix());
  // Every use is booked: 5 x 8 elements for the ReLU, the normaliser, the squarer and the pulse generator,
  // 5 goodnesses for the sigmoid, each one periphery operation.
  CHECK(ledger.total_energy_pj() == Approx((4 * 5 * 8 + 5) * ledger.params().periphery_op_pj));
}

TEST_CASE("per-channel gain and offset spreads match their parameters", "[periphery]") {
  Ledger ledger;
  AnalogParams a;
  a.gain_dtod = 0.1;
  a.offset_dtod = 0.02;
  AnalogRelu relu("relu", a, ledger);
  Rng rng = make_rng(4, "spread");
  const int n = 20000;
  relu.sample(n, rng);
  const double gm = relu.gain().mean(), om = relu.offset().mean();
  const double gsd = std::sqrt((relu.gain().array() - float(gm)).square().sum() / (n - 1));
  const double osd = std::sqrt((relu.offset().array() - float(om)).square().sum() / (n - 1));
  CHECK(std::abs(gm - 1) < 5 * 0.1 / std::sqrt(n));
  CHECK(std::abs(gsd - 0.1) < 5 * 0.1 / std::sqrt(2.0 * n));
  CHECK(std::abs(om) < 5 * 0.02 / std::sqrt(n));
  CHECK(std::abs(osd - 0.02) < 5 * 0.02 / std::sqrt(2.0 * n));
}

TEST_CASE("an ADC quantises to 2^(bits-1)-1 levels per side and clips at its range", "[periphery]") {
  Ledger ledger;
  ConverterParams c;
  c.bits = 3;  // levels -3..3 of step range/3
  c.range = 3.0;
  Adc adc("adc", c, ledger);
  FastRng rng(2, "adc");
  Mat y(1, 6);
  y << -10.0f, -1.4f, -0.4f, 0.6f, 2.5f, 7.0f;
  adc.convert(y, rng);
  Mat want(1, 6);
  want << -3.0f, -1.0f, 0.0f, 1.0f, 3.0f, 3.0f;
  CHECK(y == want);
  CHECK(ledger.at(0).count == 6);
}

TEST_CASE("converter parameters with 0 bits or a negative noise are rejected by name", "[periphery]") {
  Ledger ledger;
  ConverterParams c;
  c.bits = 0;
  CHECK_THROWS_WITH(Adc("adc", c, ledger), Catch::Contains("adc.bits"));
  ConverterParams d;
  d.analog.noise = -0.1;
  CHECK_THROWS_WITH(Dac("dac", d, ledger), Catch::Contains("dac.noise"));
}

TEST_CASE("a damping stage mixes the held state with the sample exactly when ideal, and adds its noise when not",
          "[periphery]") {
  Ledger ledger;
  const int rows = 400, channels = 50;
  Rng rng = make_rng(6, "damping");
  const Mat held = Mat::Random(rows, channels).cwiseAbs() + Mat::Constant(rows, channels, 2.0f);
  const Mat x = Mat::Random(rows, channels).cwiseAbs();
  DampingStage ideal("damping", {}, ledger);
  ideal.sample(channels, rng);
  FastRng c2c(6, "damping.c2c");
  Mat y = held;
  ideal.apply(y, x, 0.3f, c2c);
  CHECK(y == (0.3f * held + (1 - 0.3f) * x));
  // Booked as one operation per element, at the periphery's energy per operation.
  CHECK(ledger.energy_pj_of_event("damping_op") == Approx(double(rows * channels) * ledger.params().periphery_op_pj));

  // Output noise of sd 0.05 on the mix (the states lie far above 0, where the floor at 0 never acts): the
  // residual's mean is 0 and its sd 0.05, within 5 standard errors of each over rows x channels samples.
  AnalogParams a;
  a.noise = 0.05;
  DampingStage noisy("noisy", a, ledger);
  noisy.sample(channels, rng);
  y = held;
  noisy.apply(y, x, 0.3f, c2c);
  const Mat r = y - (0.3f * held + (1 - 0.3f) * x);
  const double n = double(r.size()), mean = r.mean();
  const double sd = std::sqrt((r.array() - float(mean)).square().sum() / (n - 1));
  CHECK(std::abs(mean) < 5 * 0.05 / std::sqrt(n));
  CHECK(std::abs(sd - 0.05) < 5 * 0.05 / std::sqrt(2 * n));
  // A share kept outside [0, 1) is refused by name.
  REQUIRE_THROWS_WITH(ideal.apply(y, x, 1.0f, c2c), Catch::Contains("damping") && Catch::Contains("[0, 1)"));
}
