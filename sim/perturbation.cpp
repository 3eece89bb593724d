#include "sim/perturbation.h"

#include <CLI/CLI.hpp>

#include "core/error.h"
#include "sim/cli.h"

namespace mortal {

void Perturbation::validate() const {
  check_nonnegative("perturb", scale);
  check_nonnegative("perturb-gain", gain_dtod);
  check_nonnegative("perturb-offset", offset_dtod);
  require(stuck_rate >= 0 && 2 * stuck_rate * scale <= 1,
          "perturb-stuck {} at perturb {} would stick more than every device (2 x rate x scale must be at most 1)",
          stuck_rate, scale);
}

void Perturbation::add_options(CLI::App& app, const std::string& prefix) {
  const std::size_t before = app.get_options().size();
  const std::string p = "--" + prefix + "perturb";
  app.add_option(p, scale,
                 "Variability of the chip design: multiplies the device spreads, the analog periphery's gain and "
                 "offset spreads and the stuck-device rates (0: identical individuals)");
  app.add_option(p + "-gain", gain_dtod, "Relative gain spread of every analog channel at " + p + " 1");
  app.add_option(p + "-offset", offset_dtod, "Offset spread of every analog channel at " + p + " 1 (its output units)");
  app.add_option(p + "-stuck", stuck_rate, "Fraction of devices stuck at g_min, and as many at g_max, at " + p + " 1");
  group_options_since(app, before, "Chip");
}

namespace {

void spread(hw::AnalogParams& a, const Perturbation& p) {
  a.gain_dtod = p.scale * p.gain_dtod;
  a.offset_dtod = p.scale * p.offset_dtod;
}

void perturb_crossbar(hw::CrossbarParams& c, const Perturbation& p) {
  hw::DeviceParams& d = c.device;
  d.w_bounds_dtod *= p.scale;
  d.dw_min_dtod *= p.scale;
  d.up_down_dtod *= p.scale;
  d.drift_nu_dtod *= p.scale;
  d.stuck_gmin_rate = p.scale * p.stuck_rate;
  d.stuck_gmax_rate = p.scale * p.stuck_rate;
  spread(c.dac.analog, p);
  spread(c.adc.analog, p);
  // A pulse generator's output is a firing probability: an offset there would fire every device of the
  // array at random whatever the signal, a fault of another kind than a mismatch. Its gains spread.
  c.pulse_gen.gain_dtod = p.scale * p.gain_dtod;
}

}  // namespace

void perturb(hw::ChipParams& chip, const Perturbation& p) {
  p.validate();
  perturb_crossbar(chip.crossbar, p);
  perturb_crossbar(chip.second, p);
  for (hw::AnalogParams* a : {&chip.relu, &chip.normaliser, &chip.goodness, &chip.sigmoid}) spread(*a, p);
}

}  // namespace mortal
