#pragma once
// One conductance device type: its parameters (plain data, defaults cited), the presets, and the frozen
// per-device state a chip's seed draws once (structure of arrays: one matrix per quantity, shape (out, in)
// like the weight matrix it stores).
//
// Units. A cross-point is a differential pair G+ / G-. Learning works in normalised weight units
// w = (G+ - G-) / g_unit with g_unit = (g_max - g_min) / max(|w_min|, |w_max|); conductances are in uS.
// Pulsed responses and their bounds are in normalised units as in aihwkit's pulsed devices; programming
// noise, read noise and drift act on the conductances (as in aihwkit's PCMLikeNoiseModel).
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "core/rng.h"
#include "core/tensor.h"
#include "hw/pulse_response.h"

namespace mortal::hw {

using ByteMat = Eigen::Matrix<std::uint8_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// PCM programming-noise polynomial sigma(g) = c0 + c1 x + c2 x^2 uS with x = g / g_max
// (Nandakumar et al., ICECS 2019, as in aihwkit PCMLikeNoiseModel).
struct ProgNoisePoly {
  double c0_us = 0.26348;
  double c1_us = 1.9650;
  double c2_us = -1.1731;
};

struct DeviceParams {
  std::string name = "ideal";

  // Conductance range of one device of the pair. 25 uS: PCM g_max (Nandakumar 2019 via aihwkit).
  double g_min_us = 0.0;
  double g_max_us = 25.0;
  // Weight bounds in normalised units and their device-to-device spread (relative, aihwkit w_max_dtod).
  double w_min = -1.0;
  double w_max = 1.0;
  double w_bounds_dtod = 0.0;
  // Finite conductance states reachable by programming (0: continuous).
  int n_states = 0;

  // Pulsed update: the response (hw/pulse_response.h), the smallest step in normalised units, its spread
  // per device and per pulse, and the up/down asymmetry: a device's steps at w = 0 are dw (1 + a) up and
  // dw (1 - a) down with a = up_down + up_down_dtod N(0,1).
  UpdateResponse response = ConstantStep{};
  double dw_min = 0.001;
  double dw_min_dtod = 0.0;
  double dw_min_c2c = 0.0;
  double up_down = 0.0;
  double up_down_dtod = 0.0;

  // Programming noise, sigma(g) from the polynomial, times scale (0 switches it off).
  double prog_noise_scale = 0.0;
  ProgNoisePoly prog_noise;

  // Read noise: white, relative to g; and PCM 1/f noise growing with time since programming,
  // sigma = g Q sqrt(ln((t + t_read)/(2 t_read))), Q = min(0.0088 / x^0.65, 0.2) (Nandakumar 2019).
  double read_noise_rel = 0.0;
  bool read_noise_1f = false;
  double t_read_1f_ns = 250.0;  // t_read of the 1/f formula (aihwkit PCMLikeNoiseModel)

  // Drift g(t) = g_p ((t - t_p + t0) / t0)^-nu. With drift_pcm_nu, nu ~ |N(mu(x), sd(x))| from the PCM
  // statistics (Nandakumar 2019, via aihwkit); otherwise nu ~ |N(drift_nu, drift_nu_dtod)|.
  bool drift = false;
  double drift_t0_s = 20.0;
  bool drift_pcm_nu = true;
  double drift_nu = 0.05;
  double drift_nu_dtod = 0.0;

  // A charge-storing cell (a capacitor, Li 2018): a clocked switch can share every cell's charge with a
  // second capacitor at once, scaling each weight towards the reference (w = 0) by one factor without a
  // pulse (Crossbar::share_charge). share_noise: the kT/C noise of one share, normalised units (0 by
  // default: REFERENCES.md has no figure for the cell's capacitance).
  bool charge_sharing = false;
  double share_noise = 0.0;

  // Stuck-at faults: fraction of devices stuck at g_min and at g_max, drawn once per chip.
  double stuck_gmin_rate = 0.0;
  double stuck_gmax_rate = 0.0;
  // Faults appearing with age: while the chip idles, each free device becomes stuck at a rate of this many
  // per day (probability 1 - exp(-rate days) over an idle of `days`), at g_min or g_max with equal odds.
  double stuck_per_day = 0.0;
  // Whether any device can be stuck, at birth or with age.
  bool faults() const { return stuck_gmin_rate > 0 || stuck_gmax_rate > 0 || stuck_per_day > 0; }

  // Conductance units per normalised weight unit.
  double g_unit_us() const;
  void validate() const;
};

// Presets. Numbers in shared/REFERENCES.md, source cited in device.cpp beside each.
DeviceParams ideal_device();     // no noise, no drift, no faults: the digital array
DeviceParams pcm_device();       // PCM: programming noise, 1/f read noise, drift (Nandakumar 2019)
DeviceParams reram_device();     // aihwkit ReRAM soft-bounds preset
DeviceParams ecram_device();     // aihwkit ECRAM preset (Tang 2018), linear step
DeviceParams gokmen_vlasov_device();  // aihwkit GokmenVlasov preset, constant step
DeviceParams idealized_device();      // aihwkit Idealized preset, constant step
DeviceParams capacitor_device();      // aihwkit Capacitor preset (Li 2018), linear step
DeviceParams pcm_pulsed_device();     // aihwkit PCM preset numbers; exp-step response approximated

// The preset table: every preset's name, what it is in one line, and its factory. The command-line help,
// the check of a preset's name (device_preset), the scenarios and the tests read it; a test checks that
// the README names every entry. A new preset is one factory above and one row in device.cpp.
struct DevicePreset {
  const char* name;
  const char* description;
  DeviceParams (*make)();
};
const std::vector<DevicePreset>& device_presets();
// The names in table order joined by ", ", for help texts and errors.
std::string device_preset_names();
// By name (one of device_presets()); an unknown name is refused, naming the known ones.
DeviceParams device_preset(const std::string& name);

// PCM statistics as functions of x = g / g_max (Nandakumar 2019 via aihwkit PCMLikeNoiseModel).
double pcm_prog_sigma_us(const ProgNoisePoly& poly, double g_us, double g_max_us);
double pcm_drift_nu_mean(double x);
double pcm_drift_nu_sd(double x);
double pcm_1f_q(double x);
// The same, over a block of devices at once, from ln x (x clamped to >= 1e-12 first), into `out` of ln_x's
// shape: storage the caller keeps, so that the refresh after every write allocates nothing.
using ArrayF = Eigen::Array<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ArrayFMap = Eigen::Map<ArrayF>;
void pcm_drift_nu_mean(ArrayFMap out, const ArrayFMap& ln_x);
void pcm_drift_nu_sd(ArrayFMap out, const ArrayFMap& ln_x);
void pcm_1f_q(ArrayFMap out, const ArrayFMap& ln_x);

// Per-device state drawn once from the chip's seed. Matrices of shape (out, in).
struct DeviceState {
  Mat dw_up;      // step of one up pulse at w = 0 (normalised units)
  Mat dw_down;    // magnitude of one down pulse at w = 0
  Mat w_min;      // per-device bounds
  Mat w_max;
  Mat nu_z_plus;  // standard-normal draw fixing each device's drift exponent given its conductance
  Mat nu_z_minus;
  ByteMat stuck_plus;   // 0 free, 1 stuck at g_min, 2 stuck at g_max
  ByteMat stuck_minus;

  int rows() const { return int(dw_up.rows()); }
  int cols() const { return int(dw_up.cols()); }
};

// Draw the state of an (out x in) array of devices of type p from rng.
void sample_devices(DeviceState& s, const DeviceParams& p, int out, int in, Rng& rng);

}  // namespace mortal::hw
