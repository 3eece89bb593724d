#include "sim/rules/analog_momentum.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.h"

namespace mortal {

void AnalogMomentum::validate() const {
  check_positive("momentum-gain", gain);
  require(every >= 1, "momentum-every must be at least 1, got {}", every);
  require(decay == "pulses" || decay == "share", "momentum-decay must be pulses or share, got '{}'", decay);
  require(lr_at == "transfer" || lr_at == "gradient", "momentum-lr-at must be transfer or gradient, got '{}'", lr_at);
  require(!share() || every == 1,
          "momentum-decay share decays every row every step (one switch for the array): momentum-every must be 1, "
          "got {}", every);
}

void AnalogMomentumParams::validate() const {
  array.validate();
  momentum.validate();
  require(momentum.momentum > 0, "analog momentum needs a momentum > 0, got {}", momentum.momentum);
  check_positive("lr", base_lr);
  require(!momentum.momentum_rises() || array.every == 1,
          "in situ a rising momentum (momentum-final {}) needs every row decayed every step (momentum-every 1, "
          "got {})", momentum.momentum_final, array.every);
}

AnalogMomentumRule::AnalogMomentumRule(const AnalogMomentumParams& p, hw::Chip& chip, int array)
    : chip_(chip), p_(p), array_(array) {
  p_.validate();
  require(chip.extra_arrays() > array_, "analog momentum needs a momentum array beside every layer (the chip's extra "
          "array {}), the chip has {}", array_, chip.extra_arrays());
  for (int k = 0; k < chip.layers(); ++k) {
    require(!p_.array.share() || velocity(k).can_share_charge(),
            "momentum-decay share needs momentum arrays of charge-storing cells (e.g. --second-device capacitor), "
            "layer {}'s are '{}'", k, velocity(k).params().device.name);
    share_.push_back(decay_share(velocity(k).inputs(), p_.array.every, p_.momentum.momentum));
    row_.push_back(0);
  }
  r_.resize(std::size_t(chip.layers()));
  dw_.resize(std::size_t(chip.layers()));
}

// The momentum array V holds G lr0 v (lr0 the base rate; with lr_at "gradient", G lr v). The gradient's
// pulses go to V; V is read row by row and written on (times lr / lr0, divided by G) every step. V's decay
// is written back into its own rows, a share of them per step: a row's turn comes every P steps and takes
// away the fraction f of it. P = 1, f = 1 - mu is exact; for P > 1, f is set so that a constant gradient
// gives the same mean velocity (see decay_share).
double AnalogMomentumRule::step(const RuleStep& s) {
  const int k = s.layer;
  hw::Crossbar& va = velocity(k);
  Mat& r = r_[std::size_t(k)];
  Mat& dw = dw_[std::size_t(k)];
  // The momentum of this step: constant, or rising as the rate decays (--momentum-final). V's decay at the
  // end of the step is the next step's: V then enters it as mu' v, as digital momentum SGD's
  // v' = mu' v + (1 - mu') g has it.
  const bool rising = p_.momentum.momentum_rises();
  const float mu = p_.momentum.momentum_at(s.lr), mu_decay = p_.momentum.momentum_at(s.lr_next);
  const float gain = float(p_.array.gain);
  const bool at_transfer = p_.array.lr_at_transfer();
  const float lr_v = at_transfer ? p_.base_lr : s.lr, to_w = (at_transfer ? s.lr / p_.base_lr : 1.0f) / gain;
  double ns = s.ns;
  ns += va.update(s.x, s.d, (1 - mu) * gain * lr_v, s.t_s + s.ns * 1e-9, s.rng).ns;
  const int in = va.inputs();
  const auto [row0, n] = next_rows(share_[std::size_t(k)], row_[std::size_t(k)], in);
  r.resize(va.outputs(), in);
  ns += va.read_rows(r, 0, s.t_s + ns * 1e-9, s.rng).ns;
  const double t_w = s.t_s + ns * 1e-9;
  dw = r * (to_w * transfer_gain());
  const double ns_w = transfer(k, dw, t_w, s.rng);
  if (p_.array.share()) {
    // V's rows are held as voltages: its cells share their charge while the transfer is written.
    ns += std::max(ns_w, va.share_charge(mu_decay, t_w, s.rng).ns);
  } else {
    // With a rising momentum every row decays every step (checked in validate): f = 1 - mu.
    const float f = rising ? 1 - mu_decay : share_[std::size_t(k)].fraction;
    // In dw's storage (the decay's n rows are at most the transfer's): no allocation per step.
    Eigen::Map<Mat> decay = grown_view(dw, va.outputs(), n);
    decay = r.middleCols(row0, n) * -f;
    ns += std::max(ns_w, va.write_rows(decay, row0, t_w, s.rng).ns);
  }
  return ns;
}

double AnalogMomentumRule::transfer(int k, ConstMatRef delta, double t_s, hw::FastRng& rng) {
  return chip_.write_weight_rows(k, delta, 0, t_s, rng).ns;
}

void AnalogMomentumRule::report(int k, nlohmann::json& layer) const {
  report_range(layer, "momentum", chip_.extra(k, array_));
}

void AnalogMomentumRule::save(Checkpoint& c) const {
  for (int k = 0; k < chip_.layers(); ++k)
    c.put_json(fmt::format("trainer.layer{}.momentum_row", k), row_[std::size_t(k)]);
}

void AnalogMomentumRule::restore(const Checkpoint& c) {
  for (int k = 0; k < chip_.layers(); ++k)
    row_[std::size_t(k)] = checkpoint_row(c, fmt::format("trainer.layer{}.momentum_row", k), velocity(k).inputs());
}

}  // namespace mortal
