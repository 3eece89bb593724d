#include "hw/chip.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "core/error.h"
#include "model/digital_array.h"

using namespace mortal;
using namespace mortal::hw;

// Each TEST_CASE elaborates its own design: ctest runs every case in a fresh process.

TEST_CASE("an all-ideal chip reproduces the digital array exactly through SynapticArray", "[chip]") {
  Ledger ledger;
  Chip chip("chip", chip_preset("ideal", {784, 300, 100}), ledger, 1);
  REQUIRE(chip.layers() == 2);
  SynapticArray& a = chip.layer(0);
  CHECK(a.inputs() == 784);
  CHECK(a.outputs() == 300);
  Mat w = Mat::Random(300, 784), x = Mat::Random(32, 784), d = Mat::Random(32, 300);
  chip.program(0, w);
  Mat z(32, 300), zref(32, 300);
  a.forward(z, x);
  zref.noalias() = x * w.transpose();
  INFO("largest difference " << (z - zref).cwiseAbs().maxCoeff());
  CHECK(z == zref);
  a.update(x, d, 0.01f);
  w.noalias() += 0.01f * d.transpose() * x;
  Mat back(300, 784);
  a.read_weights(back);
  CHECK(back == w);
}

TEST_CASE("an all-ideal chip layer and the digital array stay identical while training", "[chip]") {
  // The test binary sees both sides; hw/ and model/ themselves never include each other.
  Ledger ledger;
  Chip chip("chip", chip_preset("ideal", {100, 40}), ledger, 2);
  DigitalArray digital(40, 100);
  Rng rng = make_rng(2, "init");
  digital.init_uniform(rng);
  Mat w(40, 100);
  digital.read_weights(w);
  chip.program(0, w);
  Mat z(16, 40), zd(16, 40);
  for (int step = 0; step < 5; ++step) {
    Mat x = Mat::Random(16, 100);
    chip.layer(0).forward(z, x);
    digital.forward(zd, x);
    REQUIRE(z == zd);
    Mat d = z * 0.1f;
    chip.layer(0).update(x, d, 0.03f);
    digital.update(x, d, 0.03f);
  }
  Mat wc(40, 100), wd(40, 100);
  chip.layer(0).read_weights(wc);
  digital.read_weights(wd);
  INFO("largest weight difference " << (wc - wd).cwiseAbs().maxCoeff());
  CHECK(wc == wd);
}

TEST_CASE("the same seed makes the same chip and another seed another chip", "[chip]") {
  Ledger ledger;
  const ChipParams p = chip_preset("pcm", {64, 32});
  Chip a("a", p, ledger, 1), b("b", p, ledger, 1), c("c", p, ledger, 2);
  Mat w = Mat::Random(32, 64) * 0.5f, x = Mat::Random(8, 64);
  Mat za(8, 32), zb(8, 32), zc(8, 32);
  // Each forward follows its programming by the same time, so drift and 1/f noise are alike.
  a.program(0, w);
  a.layer(0).forward(za, x);
  b.program(0, w);
  b.layer(0).forward(zb, x);
  c.program(0, w);
  c.layer(0).forward(zc, x);
  CHECK(za == zb);
  CHECK(za != zc);
  CHECK(a.tile(0).core().devices().nu_z_plus == b.tile(0).core().devices().nu_z_plus);
  CHECK(a.tile(0).core().devices().nu_z_plus != c.tile(0).core().devices().nu_z_plus);
  CHECK(a.relu(0).gain() == b.relu(0).gain());
}

TEST_CASE("a chip re-seeded in place becomes the other individual", "[chip]") {
  Ledger ledger;
  ChipParams p = chip_preset("reram", {40, 20});
  p.relu.gain_dtod = 0.05;
  Chip a("a", p, ledger, 1), c("c", p, ledger, 2);
  CHECK(a.relu(0).gain() != c.relu(0).gain());
  a.reseed(2);
  CHECK(a.seed() == 2);
  CHECK(a.relu(0).gain() == c.relu(0).gain());
  Mat w = Mat::Random(20, 40) * 0.5f;
  a.program(0, w);
  c.program(0, w);
  CHECK(a.tile(0).core().weights_normalised() == c.tile(0).core().weights_normalised());
}

TEST_CASE("chip operations take their parametrised simulated time", "[chip][timing]") {
  Ledger ledger;
  ChipParams p = chip_preset("gokmen_vlasov", {100, 50});
  Chip chip("chip", p, ledger, 3);
  const auto& t = p.crossbar.timing;
  Mat x = Mat::Random(16, 100), z(16, 50);
  const double t0 = sc_core::sc_time_stamp().to_seconds();
  chip.layer(0).forward(z, x);
  const double fwd_s = 16 * (t.t_dac_ns + t.t_read_ns + t.t_adc_ns * t.columns_per_adc) * 1e-9;
  CHECK(sc_core::sc_time_stamp().to_seconds() - t0 == Approx(fwd_s).epsilon(1e-9));
  chip.layer(0).update(x, z * 0.01f, 0.01f);
  const double upd_s = 16 * p.crossbar.update.bl * t.t_pulse_ns * 1e-9;
  CHECK(sc_core::sc_time_stamp().to_seconds() - t0 == Approx(fwd_s + upd_s).epsilon(1e-9));
}

TEST_CASE("a day idle is one sc_start: drift follows simulated time and nothing is computed", "[chip][timing]") {
  Ledger ledger;
  ChipParams p = chip_preset("pcm", {50, 40});
  p.crossbar.device.prog_noise_scale = 0;
  p.crossbar.device.read_noise_1f = false;
  Chip chip("chip", p, ledger, 4);
  chip.program(0, Mat::Constant(40, 50, 0.5f));
  Mat w0(40, 50), w1(40, 50);
  chip.layer(0).read_weights(w0);
  const double energy = ledger.total_energy_pj();
  const double start = sc_core::sc_time_stamp().to_seconds();
  chip.idle(86400.0);
  CHECK(sc_core::sc_time_stamp().to_seconds() - start == Approx(86400.0));
  CHECK(ledger.total_energy_pj() == energy);
  chip.layer(0).read_weights(w1);
  // Every device drifts with nu in [0.049 - 5 sd, 0.1]-ish: the median ratio lies between the bounds of
  // the clamped PCM nu (0.049..0.1 mean, sd 0.008 at x = 0.5); here just the published clamp range.
  const double f = (86400.0 + 20.0) / 20.0;
  const double ratio = double((w1.array() / w0.array()).mean());
  CHECK(ratio < std::pow(f, -0.03));
  CHECK(ratio > std::pow(f, -0.12));
}

TEST_CASE("chip ledger totals equal counts times energies", "[chip][energy]") {
  Ledger ledger;
  ChipParams p = chip_preset("ecram", {300, 100});
  Chip chip("chip", p, ledger, 5);
  chip.program(0, Mat::Random(100, 300) * 0.3f);
  Mat x = Mat::Random(20, 300), z(20, 100);
  chip.layer(0).forward(z, x);
  chip.layer(0).update(x, z * 0.01f, 0.01f);
  const auto& e = ledger.params();
  double sum = 0;
  for (const auto& c : ledger.counters()) {
    INFO(c.module << " " << c.event);
    if (c.event != "crossbar_read") CHECK(c.integrated_pj == 0);
    sum += c.count * c.energy_per_event_pj + c.integrated_pj;
  }
  CHECK(ledger.total_energy_pj() == Approx(sum));
  CHECK(ledger.energy_pj_of_event("adc_conversion") == Approx(20.0 * 100 * e.adc_conversion_pj));
  // 300 inputs on 2 tiles along the inputs, 1 tile along the outputs: one DAC per row.
  CHECK(ledger.energy_pj_of_event("dac_conversion") == Approx(20.0 * 300 * e.dac_conversion_pj));
  CHECK(ledger.energy_pj_of_event("pulse") == Approx(chip.tile(0).core().last_pulses() * e.pulse_pj));
  CHECK(ledger.energy_pj_of_module("chip.layer0") == Approx(ledger.total_energy_pj()));
}

TEST_CASE("invalid chip parameters are rejected by name", "[chip]") {
  ChipParams p = chip_preset("ideal", {10, 0});
  CHECK_THROWS_WITH(p.validate(), Catch::Contains("sizes[1]"));
  p = chip_preset("ideal", {10});
  CHECK_THROWS_WITH(p.validate(), Catch::Contains("sizes"));
  p = chip_preset("ideal", {10, 5});
  p.relu.noise = -1;
  CHECK_THROWS_WITH(p.validate(), Catch::Contains("relu.noise"));
}

TEST_CASE("a chip restored from a checkpoint computes what the saved chip computes, noise included", "[chip]") {
  Ledger ledger;
  ChipParams p = chip_preset("pcm", {64, 32, 16});
  p.bias_row = true;
  p.extra_arrays = {"velocity", "fine"};
  ChipParams no_extra = p, one_extra = p;
  no_extra.extra_arrays.clear();
  one_extra.extra_arrays = {"velocity"};
  Chip a("a", p, ledger, 11), b("b", p, ledger, 12), other("other", chip_preset("pcm", {64, 32}), ledger, 11);
  Chip plain("plain", no_extra, ledger, 11), two("two", one_extra, ledger, 11);
  REQUIRE(a.layer(0).inputs() == 65);
  REQUIRE(a.extra_arrays() == 2);
  a.program(0, Mat::Random(32, 65) * 0.5f);
  a.program(1, Mat::Random(16, 33) * 0.5f);
  const Mat x = Mat::Random(20, 65), d = Mat::Random(20, 32);
  a.layer(0).update(x, d, 0.05f);
  a.extra(0, 0).update(x, d, 0.05f, a.now_s(), a.rng());
  const Mat d1 = -d.leftCols(16);
  a.extra(1, 1).update(x.leftCols(33), d1, 0.05f, a.now_s(), a.rng());
  a.idle(3600);
  Checkpoint c;
  a.save(c, "chip");
  b.restore(c, "chip");  // another seed: the restore carries the individual over
  CHECK(b.now_s() == a.now_s());
  for (int k = 0; k < 2; ++k) {
    CHECK(b.tile(k).core().weights_normalised() == a.tile(k).core().weights_normalised());
    CHECK(b.tile(k).core().devices().dw_up == a.tile(k).core().devices().dw_up);
    for (int i = 0; i < 2; ++i) {
      CHECK(b.extra(k, i).weights_normalised() == a.extra(k, i).weights_normalised());
      CHECK(b.extra(k, i).devices().dw_up == a.extra(k, i).devices().dw_up);
    }
  }
  CHECK(a.extra(0, 0).weights_normalised().cwiseAbs().maxCoeff() > 0);
  CHECK(a.extra(1, 1).weights_normalised().cwiseAbs().maxCoeff() > 0);
  // Each extra array is an individual of its own: its devices are drawn from its name.
  CHECK(a.extra(0, 1).devices().dw_up != a.extra(0, 0).devices().dw_up);
  // Same cycle-to-cycle stream, same drifted conductances and read noise: the same output, bit for bit.
  Mat za(20, 32), zb(20, 32);
  a.layer(0).forward(za, x);
  b.layer(0).forward(zb, x);
  CHECK(za == zb);
  CHECK_THROWS_AS(other.restore(c, "chip"), Error);  // one layer, the checkpoint has two
  CHECK_THROWS_AS(plain.restore(c, "chip"), Error);  // no extra arrays, the checkpoint has them
  CHECK_THROWS_WITH(two.restore(c, "chip"), Catch::Contains("extra arrays [velocity, fine]"));
  ChipParams twice = chip_preset("pcm", {8, 4});
  twice.extra_arrays = {"v", "v"};
  CHECK_THROWS_WITH(twice.validate(), Catch::Contains("names 'v' twice"));
  twice.extra_arrays = {"a.b"};
  CHECK_THROWS_WITH(twice.validate(), Catch::Contains("extra_arrays[0]"));
}

TEST_CASE("copies of a layer's weights are programmed alike and read as their mean", "[chip]") {
  Ledger ledger;
  ChipParams ip = chip_preset("ideal", {50, 20});
  ip.weight_copies = 2;
  // Pulsed devices: each copy is an individual of its own, programmed to the same targets (each with its
  // own programming noise); a read-out gives the mean of the copies, and the forward pass (read noise,
  // drift and output noise off) the product with that mean.
  ChipParams rp = chip_preset("pcm", {50, 20});
  rp.weight_copies = 3;
  rp.crossbar.device.read_noise_rel = 0;
  rp.crossbar.device.read_noise_1f = false;
  rp.crossbar.device.drift = false;
  rp.crossbar.out_noise = 0;
  rp.crossbar.dac.quantize = rp.crossbar.adc.quantize = false;
  // (SystemC elaborates once: both chips before the first operation.)
  Chip ideal("ideal", ip, ledger, 4), pcm("pcm", rp, ledger, 4);
  REQUIRE(ideal.weight_copies() == 2);
  Mat w = Mat::Random(20, 50), x = Mat::Random(8, 50), d = Mat::Random(8, 20);
  ideal.program(0, w);
  Mat z(8, 20), zref = x * w.transpose();
  ideal.layer(0).forward(z, x);
  CHECK(z == zref);  // (z + z) / 2 is exact
  ideal.layer(0).update(x, d, 0.01f);
  w.noalias() += 0.01f * d.transpose() * x;
  Mat back(20, 50);
  ideal.layer(0).read_weights(back);
  CHECK(back == w);
  CHECK(ideal.weights(0, 1).weights_normalised() == ideal.weights(0, 0).weights_normalised());
  CHECK_THROWS_WITH(ideal.weights(0, 2), Catch::Contains("no copy 2"));

  const Mat target = Mat::Random(20, 50) * 0.4f;
  pcm.program(0, target);
  CHECK(pcm.weights(0, 1).devices().dw_up != pcm.weights(0, 0).devices().dw_up);
  CHECK(pcm.weights(0, 2).devices().dw_up != pcm.weights(0, 1).devices().dw_up);
  Mat mean = Mat::Zero(20, 50), wc(20, 50);
  for (int c = 0; c < 3; ++c) {
    pcm.weights(0, c).read_weights(wc, pcm.now_s());
    CHECK((wc - target).cwiseAbs().mean() < 0.05f);  // program-and-verify brought each copy near its target
    if (c > 0) {
      Mat w0(20, 50);
      pcm.weights(0, 0).read_weights(w0, pcm.now_s());
      CHECK(wc != w0);  // by its own devices and pulses
    }
    mean += wc / 3.0f;
  }
  pcm.layer(0).read_weights(back);
  CHECK((back - mean).cwiseAbs().maxCoeff() < 1e-6f);
  pcm.forward_at(0, z, x, pcm.now_s(), pcm.rng());
  zref = x * mean.transpose();
  CHECK((z - zref).cwiseAbs().maxCoeff() < 1e-4f * zref.cwiseAbs().maxCoeff());
  // Only the first copy converts the inputs: the others are driven by its DAC.
  for (const auto& c : ledger.counters())
    if (c.event == "dac_conversion" && c.module.rfind("pcm.", 0) == 0) {
      INFO(c.module);
      CHECK((c.module == "pcm.layer0.dac" ? c.count > 0 : c.count == 0));
    }
  ChipParams bad = chip_preset("reram", {4, 2});
  bad.weight_copies = 0;
  CHECK_THROWS_WITH(bad.validate(), Catch::Contains("weight_copies") && Catch::Contains("got 0"));
}

TEST_CASE("every copy of the weights is written by its own pulses: the mean's write noise halves with two",
          "[chip]") {
  // The same row write into two copies. Each device's change is its own draw (its pulse count, its
  // cycle-to-cycle noise, its step drawn from the device-to-device spread), independent across copies,
  // so the variance of the mean change over devices is half that of one copy's. With 80,000 devices per
  // copy the sampling error of each variance is about 1%; the bounds allow several times that.
  Ledger ledger;
  ChipParams p = chip_preset("reram", {400, 200});
  p.weight_copies = 2;
  Chip chip("chip", p, ledger, 9);
  const float dw = float(p.crossbar.device.dw_min);
  const Mat delta = Mat::Constant(200, 400, 5 * dw);
  std::vector<Mat> before;
  for (int c = 0; c < 2; ++c) before.push_back(chip.weights(0, c).weights_normalised());
  chip.write_weight_rows(0, delta, 0, chip.now_s(), chip.rng());
  std::vector<Eigen::ArrayXf> change;
  for (int c = 0; c < 2; ++c) {
    const Mat m = chip.weights(0, c).weights_normalised() - before[std::size_t(c)];
    change.push_back(Eigen::Map<const Eigen::ArrayXf>(m.data(), m.size()));
  }
  const auto variance = [](const Eigen::ArrayXf& a) {
    const double mean = a.cast<double>().mean();
    return (a.cast<double>() - mean).square().mean();
  };
  const double v0 = variance(change[0]), v1 = variance(change[1]), vm = variance((change[0] + change[1]) / 2);
  INFO("copy variances " << v0 << " " << v1 << ", of the mean " << vm);
  CHECK(change[0].mean() > 2 * dw);  // the write moved both copies, in delta's direction
  CHECK(change[1].mean() > 2 * dw);
  CHECK(v0 / v1 == Approx(1.0).epsilon(0.1));
  CHECK(vm / (0.5 * (v0 + v1)) == Approx(0.5).epsilon(0.1));
}

TEST_CASE("a chip with copies of its weights restores them from a checkpoint", "[chip]") {
  Ledger ledger;
  ChipParams p = chip_preset("pcm", {16, 8});
  p.weight_copies = 2;
  Chip a("a", p, ledger, 5), b("b", p, ledger, 6), one("one", chip_preset("pcm", {16, 8}), ledger, 5);
  a.program(0, Mat::Random(8, 16) * 0.5f);
  const Mat x = Mat::Random(10, 16), d = Mat::Random(10, 8);
  a.layer(0).update(x, d, 0.05f);
  a.idle(60);
  Checkpoint c;
  a.save(c, "chip");
  b.restore(c, "chip");
  for (int i = 0; i < 2; ++i) {
    CHECK(b.weights(0, i).weights_normalised() == a.weights(0, i).weights_normalised());
    CHECK(b.weights(0, i).devices().dw_up == a.weights(0, i).devices().dw_up);
  }
  CHECK(a.weights(0, 1).weights_normalised() != a.weights(0, 0).weights_normalised());
  Mat za(10, 8), zb(10, 8);
  a.layer(0).forward(za, x);
  b.layer(0).forward(zb, x);
  CHECK(za == zb);
  CHECK_THROWS_WITH(one.restore(c, "chip"), Catch::Contains("2 copies of its weights"));

  // Drift compensation gives every copy its own gain (PCM drifts, each device by its own exponent).
  a.calibrate_drift(a.rng());
  a.idle(86400);
  a.compensate_drift(a.rng());
  const float g0 = a.weights(0, 0).output_gain(), g1 = a.weights(0, 1).output_gain();
  CHECK(g0 > 1.0f);  // drift lowers conductances: the gain makes up for it
  CHECK(g1 > 1.0f);
  CHECK(g0 != g1);
  a.reset_drift_compensation();
  CHECK(a.weights(0, 0).output_gain() == 1.0f);
  CHECK(a.weights(0, 1).output_gain() == 1.0f);
}

TEST_CASE("a chip idles for years: past the kernel's horizon the time is skipped and drift follows it",
          "[chip][timing]") {
  Ledger ledger;
  ChipParams p = chip_preset("pcm", {50, 40});
  p.crossbar.device.prog_noise_scale = 0;
  p.crossbar.device.read_noise_1f = false;
  p.crossbar.device.drift_pcm_nu = false;  // one exponent for every device: drift_nu
  p.crossbar.device.drift_nu = 0.05;
  p.crossbar.device.drift_nu_dtod = 0;
  p.crossbar.device.stuck_per_day = 1e-4;
  Chip chip("chip", p, ledger, 4);
  chip.program(0, Mat::Constant(40, 50, 0.5f));
  const double t_program = chip.now_s();
  Mat w0(40, 50), w1(40, 50);
  chip.layer(0).read_weights(w0);
  const double year = 365 * 86400.0;
  chip.idle(year);
  // The kernel is idled no further than its horizon; the rest of the year is skipped, not lost.
  CHECK(sc_core::sc_time_stamp().to_seconds() <= kernel_horizon_s());
  CHECK(skipped_idle_s() > 0);
  CHECK(chip.now_s() - t_program == Approx(year).epsilon(1e-9));
  // A year of drift at one exponent: the stuck devices aside, w(t) / w(0) = ((t + t0) / t0)^-nu.
  chip.layer(0).read_weights(w1);
  std::vector<double> ratios;
  for (int r = 0; r < 40; ++r)
    for (int c = 0; c < 50; ++c)
      if (!chip.weights(0).devices().stuck_plus(r, c) && !chip.weights(0).devices().stuck_minus(r, c))
        ratios.push_back(double(w1(r, c) / w0(r, c)));
  REQUIRE(ratios.size() > 1700);  // either device of a weight stuck: about 7% of the 2000 weights
  std::sort(ratios.begin(), ratios.end());
  CHECK(ratios[ratios.size() / 2] == Approx(std::pow((year + 20.0) / 20.0, -0.05)).epsilon(0.01));
  // The skipped time and the faults survive a checkpoint.
  Checkpoint c;
  chip.save(c, "chip");
  CHECK(c.get_json("chip.chip").at("skipped_idle_s").get<double>() == skipped_idle_s());
  CHECK(chip.weights(0).stuck_devices() > 0);
}

TEST_CASE("a chip's connectivity builds every array of a layer alike: weights, their copies and the extra arrays",
          "[chip]") {
  Ledger ledger;
  ChipParams p = chip_preset("reram", {6, 4, 3});
  p.bias_row = true;
  p.weight_copies = 2;
  p.extra_arrays = {"momentum"};
  Mat m = Mat::Ones(4, 7);
  m.block(0, 0, 2, 3).setZero();
  p.connectivity = {m, Mat()};  // the second layer dense
  Chip chip("chip", p, ledger, 4);
  CHECK(chip.weights(0, 0).pairs() == 22);
  CHECK(chip.weights(0, 1).pairs() == 22);
  CHECK(chip.extra(0, 0).pairs() == 22);
  CHECK_FALSE(chip.weights(1).masked());
  chip.program(0, Mat::Constant(4, 7, 0.3f));
  Mat w(4, 7);
  chip.layer(0).read_weights(w);
  CHECK(w.block(0, 0, 2, 3).cwiseAbs().maxCoeff() == 0.0f);
  CHECK(w.block(2, 0, 2, 7).minCoeff() > 0.1f);
  // A mask of another shape, or one too many, is refused by name.
  ChipParams bad = p;
  bad.connectivity = {Mat::Ones(4, 6), Mat()};
  CHECK_THROWS_WITH(bad.validate(), Catch::Contains("connectivity[0] is 4x6, layer 0 is 4 x 7"));
  bad.connectivity = {m, Mat(), Mat()};
  CHECK_THROWS_WITH(bad.validate(), Catch::Contains("connectivity lists 3 layers, the chip has 2"));
}
