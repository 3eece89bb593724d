#include "hw/device.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "hw/fast_rng.h"

namespace mortal::hw {

void LinearStep::validate() const {
  check_finite("gamma_up", gamma_up);
  check_finite("gamma_down", gamma_down);
}

double DeviceParams::g_unit_us() const {
  return (g_max_us - g_min_us) / std::max(std::abs(w_min), std::abs(w_max));
}

void DeviceParams::validate() const {
  check_nonnegative("g_min_us", g_min_us);
  check_positive("g_max_us", g_max_us);
  require(g_min_us < g_max_us, "g_min_us must be below g_max_us, got g_min_us {} >= g_max_us {}", g_min_us,
          g_max_us);
  check_finite("w_min", w_min);
  check_finite("w_max", w_max);
  require(w_min < 0, "w_min must be negative (zero lies inside the pair's range), got {}", w_min);
  require(w_max > 0, "w_max must be positive (zero lies inside the pair's range), got {}", w_max);
  check_nonnegative("w_bounds_dtod", w_bounds_dtod);
  require(n_states == 0 || n_states >= 2, "n_states must be 0 (continuous) or >= 2, got {}", n_states);
  std::visit([](const auto& r) { r.validate(); }, response);
  check_positive("dw_min", dw_min);
  check_nonnegative("dw_min_dtod", dw_min_dtod);
  check_nonnegative("dw_min_c2c", dw_min_c2c);
  check_finite("up_down", up_down);
  require(std::abs(up_down) < 1, "up_down must lie in (-1, 1), got {}", up_down);
  check_nonnegative("up_down_dtod", up_down_dtod);
  check_nonnegative("prog_noise_scale", prog_noise_scale);
  check_finite("prog_noise.c0_us", prog_noise.c0_us);
  check_finite("prog_noise.c1_us", prog_noise.c1_us);
  check_finite("prog_noise.c2_us", prog_noise.c2_us);
  check_nonnegative("read_noise_rel", read_noise_rel);
  check_positive("t_read_1f_ns", t_read_1f_ns);
  check_positive("drift_t0_s", drift_t0_s);
  check_nonnegative("drift_nu", drift_nu);
  check_nonnegative("drift_nu_dtod", drift_nu_dtod);
  check_nonnegative("share_noise", share_noise);
  require(share_noise == 0 || charge_sharing, "share_noise {} needs a charge-sharing device (charge_sharing true)",
          share_noise);
  check_probability("stuck_gmin_rate", stuck_gmin_rate);
  check_probability("stuck_gmax_rate", stuck_gmax_rate);
  require(stuck_gmin_rate + stuck_gmax_rate <= 1,
          "stuck_gmin_rate + stuck_gmax_rate must not exceed 1, got {} + {}", stuck_gmin_rate,
          stuck_gmax_rate);
  check_nonnegative("stuck_per_day", stuck_per_day);
  require(std::isfinite(stuck_per_day), "stuck_per_day must be finite, got {}", stuck_per_day);
}

// --- presets ------------------------------------------------------------------------------------------

DeviceParams ideal_device() { return DeviceParams{}; }

DeviceParams pcm_device() {
  DeviceParams p;
  p.name = "pcm";
  // Nandakumar et al., ICECS 2019, as implemented in aihwkit PCMLikeNoiseModel: g_max 25 uS, programming
  // noise polynomial, 1/f read noise, drift with t0 = 20 s and conductance-dependent nu statistics.
  p.g_min_us = 0.0;
  p.g_max_us = 25.0;
  p.prog_noise_scale = 1.0;
  p.read_noise_1f = true;
  p.drift = true;
  p.drift_pcm_nu = true;
  // Pulsed response: aihwkit PCM preset step statistics (dw_min 0.01, d2d 0.2, c2c 0.6); its exponential
  // step of a one-sided pair is approximated by soft bounds on the pair's weight.
  p.response = SoftBounds{};
  p.dw_min = 0.01;
  p.dw_min_dtod = 0.2;
  p.dw_min_c2c = 0.6;
  return p;
}

DeviceParams reram_device() {
  DeviceParams p;
  p.name = "reram";
  // aihwkit ReRAM soft-bounds preset: dw_min 0.002, d2d 0.3, c2c 3.75, bounds -0.75..1.25.
  p.response = SoftBounds{};
  p.dw_min = 0.002;
  p.dw_min_dtod = 0.3;
  p.dw_min_c2c = 3.75;
  p.w_min = -0.75;
  p.w_max = 1.25;
  // Conductance range and states of the NeuroSim MLP V3 device: Gmin 3.08 nS, Gmax 38.5 nS, 97 levels.
  p.g_min_us = 0.00308;
  p.g_max_us = 0.0385;
  p.n_states = 97;
  return p;
}

DeviceParams ecram_device() {
  DeviceParams p;
  p.name = "ecram";
  // aihwkit ECRAM preset (Tang et al. 2018): linear step, dw_min 0.002, d2d 0.1, c2c 0.3,
  // bounds -0.83..1.17, gamma up 0.1153, down 0.5085.
  p.response = LinearStep{0.1153, 0.5085};
  p.dw_min = 0.002;
  p.dw_min_dtod = 0.1;
  p.dw_min_c2c = 0.3;
  p.w_min = -0.83;
  p.w_max = 1.17;
  return p;
}

DeviceParams gokmen_vlasov_device() {
  DeviceParams p;
  p.name = "gokmen_vlasov";
  // aihwkit GokmenVlasov preset (Gokmen & Vlasov 2016): constant step 0.0016 (~1200 states), d2d 0.3,
  // c2c 0.3, bounds +-1 with d2d 0.3, up/down d2d 0.01.
  p.dw_min = 0.0016;
  p.dw_min_dtod = 0.3;
  p.dw_min_c2c = 0.3;
  p.w_bounds_dtod = 0.3;
  p.up_down_dtod = 0.01;
  return p;
}

DeviceParams idealized_device() {
  DeviceParams p;
  p.name = "idealized";
  // aihwkit Idealized preset: constant step 0.0002, d2d 0.3, c2c 0.3, bounds +-1.
  p.dw_min = 0.0002;
  p.dw_min_dtod = 0.3;
  p.dw_min_c2c = 0.3;
  return p;
}

DeviceParams capacitor_device() {
  DeviceParams p;
  p.name = "capacitor";
  // aihwkit Capacitor preset (Li et al. 2018): linear step, dw_min 0.005, d2d 0.1, c2c 0.3, +-1, gamma 0.05.
  p.response = LinearStep{0.05, 0.05};
  p.dw_min = 0.005;
  p.dw_min_dtod = 0.1;
  p.dw_min_c2c = 0.3;
  p.charge_sharing = true;  // the weight is the charge on the cell's capacitor
  return p;
}

DeviceParams pcm_pulsed_device() {
  DeviceParams p = pcm_device();
  p.name = "pcm_pulsed";
  // aihwkit PCM preset without the inference-time statistics: step 0.01, d2d 0.2, c2c 0.6.
  p.prog_noise_scale = 0.0;
  p.read_noise_1f = false;
  p.drift = false;
  return p;
}

const std::vector<DevicePreset>& device_presets() {
  static const std::vector<DevicePreset> table = {
      {"ideal", "no noise, no drift, no faults: the digital array", ideal_device},
      {"pcm", "PCM: programming noise, 1/f read noise, drift (Nandakumar 2019), soft-bounds pulses", pcm_device},
      {"reram", "ReRAM: aihwkit soft-bounds preset, 97 states of the NeuroSim device", reram_device},
      {"ecram", "ECRAM: aihwkit preset (Tang 2018), linear step", ecram_device},
      {"gokmen_vlasov", "aihwkit GokmenVlasov preset (Gokmen & Vlasov 2016), constant step", gokmen_vlasov_device},
      {"idealized", "aihwkit Idealized preset, constant step", idealized_device},
      {"capacitor", "capacitor cell: aihwkit Capacitor preset (Li 2018), linear step, charge sharing",
       capacitor_device},
      {"pcm_pulsed", "PCM with aihwkit's pulsed-update numbers, its exp-step response approximated",
       pcm_pulsed_device},
  };
  return table;
}

std::string device_preset_names() {
  std::string names;
  for (const DevicePreset& d : device_presets()) names += (names.empty() ? "" : ", ") + std::string(d.name);
  return names;
}

DeviceParams device_preset(const std::string& name) {
  for (const DevicePreset& d : device_presets())
    if (name == d.name) return d.make();
  fail("device preset must be one of {}; got '{}'", device_preset_names(), name);
}

// --- PCM statistics -----------------------------------------------------------------------------------

double pcm_prog_sigma_us(const ProgNoisePoly& poly, double g_us, double g_max_us) {
  const double x = g_us / g_max_us;
  return std::max(0.0, poly.c0_us + poly.c1_us * x + poly.c2_us * x * x);
}

namespace {
// a ln x + b clamped to [lo, hi]
struct LogLinear {
  double a, b, lo, hi;
};
constexpr LogLinear kNuMean{-0.0155, 0.0244, 0.049, 0.1};
constexpr LogLinear kNuSd{-0.0125, -0.0059, 0.008, 0.045};
constexpr double kQ = 0.0088, kQExponent = 0.65, kQMax = 0.2;  // Q = min(kQ / x^0.65, 0.2)

double eval(const LogLinear& f, double x) { return std::clamp(f.a * std::log(std::max(x, 1e-12)) + f.b, f.lo, f.hi); }
void eval(ArrayFMap out, const LogLinear& f, const ArrayFMap& ln_x) {
  out = (float(f.a) * ln_x + float(f.b)).max(float(f.lo)).min(float(f.hi));
}
}  // namespace

double pcm_drift_nu_mean(double x) { return eval(kNuMean, x); }
double pcm_drift_nu_sd(double x) { return eval(kNuSd, x); }
double pcm_1f_q(double x) { return std::min(kQ / std::pow(std::max(x, 1e-12), kQExponent), kQMax); }
void pcm_drift_nu_mean(ArrayFMap out, const ArrayFMap& ln_x) { eval(out, kNuMean, ln_x); }
void pcm_drift_nu_sd(ArrayFMap out, const ArrayFMap& ln_x) { eval(out, kNuSd, ln_x); }
void pcm_1f_q(ArrayFMap out, const ArrayFMap& ln_x) {
  out = (float(kQ) * (float(-kQExponent) * ln_x).exp()).min(float(kQMax));
}

// --- per-device state ---------------------------------------------------------------------------------

void sample_devices(DeviceState& s, const DeviceParams& p, int out, int in, Rng& rng) {
  p.validate();
  FastRng fr(rng);
  // Every quantity is drawn whether or not its effect is on, so switching one effect off leaves the
  // others of the same chip unchanged.
  auto gauss = [&](Mat& m) {
    m.resize(out, in);
    fill_normal(m, fr);
  };
  Mat z_dw, z_ud, z_wmin, z_wmax;
  gauss(z_dw);
  gauss(z_ud);
  gauss(z_wmin);
  gauss(z_wmax);
  gauss(s.nu_z_plus);
  gauss(s.nu_z_minus);
  const float dw = float(p.dw_min), dtod = float(p.dw_min_dtod);
  Mat dw_dev = (dw * (1.0f + dtod * z_dw.array())).cwiseMax(0.0f).matrix();
  Mat a = (float(p.up_down) + float(p.up_down_dtod) * z_ud.array()).cwiseMax(-1.0f).cwiseMin(1.0f).matrix();
  s.dw_up = (dw_dev.array() * (1.0f + a.array())).matrix();
  s.dw_down = (dw_dev.array() * (1.0f - a.array())).matrix();
  const float bd = float(p.w_bounds_dtod);
  // A bound never crosses zero: it is kept at least 1% of its nominal size.
  s.w_max = (float(p.w_max) * (1.0f + bd * z_wmax.array()).cwiseMax(0.01f)).matrix();
  s.w_min = (float(p.w_min) * (1.0f + bd * z_wmin.array()).cwiseMax(0.01f)).matrix();

  auto faults = [&](ByteMat& m) {
    m.resize(out, in);
    for (int r = 0; r < out; ++r)
      for (int c = 0; c < in; ++c) {
        const double u = fr.uniform();
        m(r, c) = u < p.stuck_gmin_rate ? 1 : (u < p.stuck_gmin_rate + p.stuck_gmax_rate ? 2 : 0);
      }
  };
  faults(s.stuck_plus);
  faults(s.stuck_minus);
}

}  // namespace mortal::hw
