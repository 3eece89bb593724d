#include "sim/rules/threshold_accumulator.h"

#include "core/error.h"

namespace mortal {

void ThresholdAccumulatorParams::validate() const {
  momentum.validate();
  carry.validate();
  require(carry.on() && carry.whole,
          "with analog momentum ({}) the carry's fine array is a threshold accumulator between the momentum array "
          "and the weights: carry {} needs --carry-whole",
          momentum.momentum.momentum, carry.factor);
}

ThresholdAccumulator::ThresholdAccumulator(const ThresholdAccumulatorParams& p, hw::Chip& chip)
    : AnalogMomentumRule(p.momentum, chip, 0), factor_(p.carry.factor), carry_(p.carry, chip, 1) {
  p.validate();
}

double ThresholdAccumulator::transfer(int k, ConstMatRef delta, double t_s, hw::FastRng& rng) {
  return write_in_bursts(carry_.fine(k), delta, 0, t_s, rng, hw::Crossbar::RowWrite::stochastic);
}

// Whole steps of W carried out of the accumulator after V's transfer, the rest left to accumulate.
double ThresholdAccumulator::step(const RuleStep& s) {
  const double ns = AnalogMomentumRule::step(s);
  return ns + carry_.carry_next_rows(s.layer, s.t_s + ns * 1e-9, s.rng);
}

double ThresholdAccumulator::forward_extra(int k, MatRef z, ConstMatRef x, double t_s, hw::FastRng& rng) {
  return carry_.forward_extra(k, z, x, t_s, rng);
}

void ThresholdAccumulator::finish(std::vector<hw::FastRng>& layer_rng) { carry_.finish(layer_rng); }

void ThresholdAccumulator::report(int k, nlohmann::json& layer) const {
  AnalogMomentumRule::report(k, layer);
  carry_.report(k, layer);
}

void ThresholdAccumulator::save(Checkpoint& c) const {
  AnalogMomentumRule::save(c);
  carry_.save(c);
}

void ThresholdAccumulator::restore(const Checkpoint& c) {
  AnalogMomentumRule::restore(c);
  carry_.restore(c);
}

}  // namespace mortal
