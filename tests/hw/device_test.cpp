#include "hw/device.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <iterator>
#include <string>

#include "core/error.h"

using namespace mortal;
using namespace mortal::hw;

namespace {

// Throws, and the message names the field.
template <typename F>
void check_rejects(const std::string& field, F&& mutate) {
  DeviceParams p;
  mutate(p);
  try {
    p.validate();
    FAIL("accepted a bad " << field);
  } catch (const Error& e) {
    INFO(e.what());
    CHECK(std::string(e.what()).find(field) != std::string::npos);
  }
}

double mean(const Mat& m) { return double(m.mean()); }
double sd(const Mat& m) {
  const double mu = mean(m);
  return std::sqrt((m.array() - float(mu)).square().sum() / double(m.size() - 1));
}

}  // namespace

TEST_CASE("every invalid device parameter is rejected with its name", "[device]") {
  check_rejects("g_min_us", [](DeviceParams& p) { p.g_min_us = p.g_max_us; });
  check_rejects("g_min_us", [](DeviceParams& p) { p.g_min_us = -1; });
  check_rejects("w_max", [](DeviceParams& p) { p.w_max = 0; });
  check_rejects("dw_min_dtod", [](DeviceParams& p) { p.dw_min_dtod = -0.1; });
  check_rejects("dw_min_c2c", [](DeviceParams& p) { p.dw_min_c2c = -0.1; });
  check_rejects("read_noise_rel", [](DeviceParams& p) { p.read_noise_rel = -1; });
  check_rejects("prog_noise_scale", [](DeviceParams& p) { p.prog_noise_scale = -1; });
  check_rejects("dw_min", [](DeviceParams& p) { p.dw_min = 0; });
  check_rejects("stuck_gmin_rate", [](DeviceParams& p) { p.stuck_gmin_rate = 1.5; });
  check_rejects("stuck_gmax_rate", [](DeviceParams& p) { p.stuck_gmax_rate = -0.1; });
  check_rejects("n_states", [](DeviceParams& p) { p.n_states = 1; });
  check_rejects("gamma_up", [](DeviceParams& p) { p.response = LinearStep{NAN, 0.0}; });
}

TEST_CASE("every preset is valid and an unknown preset name is refused", "[device]") {
  REQUIRE(device_presets().size() >= 8);
  for (const DevicePreset& d : device_presets()) {
    const std::string name = d.name;
    INFO(name);
    CHECK_NOTHROW(device_preset(name).validate());
    CHECK(device_preset(name).name == name);
    CHECK(std::string(d.description).size() > 10);
  }
  CHECK_THROWS_WITH(device_preset("flash"), Catch::Contains("flash") && Catch::Contains(device_preset_names()));
}

TEST_CASE("the README names every device preset", "[device]") {
  std::ifstream in(std::string(MORTAL_SOURCE_DIR) + "/README.md");
  REQUIRE(in);
  const std::string readme((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const DevicePreset& d : device_presets()) {
    INFO(d.name);
    CHECK(readme.find(std::string("`") + d.name + "`") != std::string::npos);
  }
}

TEST_CASE("device-to-device spread of the step size and bounds matches its parameters", "[device]") {
  DeviceParams p = gokmen_vlasov_device();
  p.up_down_dtod = 0;
  DeviceState s;
  Rng rng = make_rng(1, "device-test");
  const int n = 200;
  sample_devices(s, p, n, n, rng);
  const double count = double(n) * n;
  // dw = dw_min (1 + 0.3 N(0,1)), truncated at 0 (3.3 sd away: negligible). Sample mean and sd have
  // standard errors sd / sqrt(N) and about sd / sqrt(2N); allow 5 of them.
  Mat rel = s.dw_up / float(p.dw_min);
  CHECK(std::abs(mean(rel) - 1.0) < 5 * 0.3 / std::sqrt(count));
  CHECK(std::abs(sd(rel) - 0.3) < 5 * 0.3 / std::sqrt(2 * count));
  Mat wmax = s.w_max / float(p.w_max);
  CHECK(std::abs(mean(wmax) - 1.0) < 5 * 0.3 / std::sqrt(count));
  CHECK(std::abs(sd(wmax) - 0.3) < 5 * 0.3 / std::sqrt(2 * count));
  CHECK((s.w_min.array() < 0).all());
  CHECK((s.w_max.array() > 0).all());
  // No asymmetry: up and down steps equal device by device.
  CHECK(s.dw_up == s.dw_down);
}

TEST_CASE("up/down asymmetry splits each device's step as dw (1 + a) and dw (1 - a)", "[device]") {
  DeviceParams p = ideal_device();
  p.up_down = 0.2;
  DeviceState s;
  Rng rng = make_rng(2, "device-test");
  sample_devices(s, p, 10, 10, rng);
  CHECK(s.dw_up.isApproxToConstant(float(p.dw_min * 1.2)));
  CHECK(s.dw_down.isApproxToConstant(float(p.dw_min * 0.8)));
}

TEST_CASE("stuck-at fault fractions match their rates", "[device]") {
  DeviceParams p;
  p.stuck_gmin_rate = 0.02;
  p.stuck_gmax_rate = 0.05;
  DeviceState s;
  Rng rng = make_rng(3, "device-test");
  const int n = 300;
  sample_devices(s, p, n, n, rng);
  const double count = 2.0 * n * n;
  const double at_min = ((s.stuck_plus.array() == 1).count() + (s.stuck_minus.array() == 1).count()) / count;
  const double at_max = ((s.stuck_plus.array() == 2).count() + (s.stuck_minus.array() == 2).count()) / count;
  // Binomial standard error sqrt(r (1 - r) / N); allow 5.
  CHECK(std::abs(at_min - 0.02) < 5 * std::sqrt(0.02 * 0.98 / count));
  CHECK(std::abs(at_max - 0.05) < 5 * std::sqrt(0.05 * 0.95 / count));
}

TEST_CASE("the same seed draws the same devices and another seed other devices", "[device]") {
  DeviceParams p = reram_device();
  DeviceState a, b, c;
  Rng r1 = make_rng(7, "devices"), r2 = make_rng(7, "devices"), r3 = make_rng(8, "devices");
  sample_devices(a, p, 20, 30, r1);
  sample_devices(b, p, 20, 30, r2);
  sample_devices(c, p, 20, 30, r3);
  CHECK(a.dw_up == b.dw_up);
  CHECK(a.w_max == b.w_max);
  CHECK(a.dw_up != c.dw_up);
}

TEST_CASE("PCM statistics follow the published fits and clamps", "[device]") {
  const ProgNoisePoly poly;
  CHECK(pcm_prog_sigma_us(poly, 0.0, 25.0) == Approx(0.26348));
  CHECK(pcm_prog_sigma_us(poly, 25.0, 25.0) == Approx(0.26348 + 1.9650 - 1.1731));
  CHECK(pcm_drift_nu_mean(1.0) == Approx(0.049));  // 0.0244 clamped up to 0.049
  CHECK(pcm_drift_nu_mean(1e-6) == Approx(0.1));   // clamped down to 0.1
  CHECK(pcm_drift_nu_sd(0.1) == Approx(-0.0125 * std::log(0.1) - 0.0059));
  CHECK(pcm_drift_nu_sd(0.001) == Approx(0.045));  // clamped
  CHECK(pcm_1f_q(1.0) == Approx(0.0088));
  CHECK(pcm_1f_q(1e-6) == Approx(0.2));
}
