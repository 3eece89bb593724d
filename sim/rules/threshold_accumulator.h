#pragma once
// The threshold accumulator: analog momentum (sim/rules/analog_momentum.h) whose transfer, lr v, goes not
// into the weights W but, at factor times, into a fine array between V and W, out of which only whole
// steps of W are carried (a periodic carry of whole steps, sim/rules/periodic_carry.h). That is a
// threshold transfer (the accumulator H of Tiki-Taka v2, Gokmen 2021, here analog): changes that cancel
// within one device step of W, and V's read noise, which averages out, never reach W's noisy pulses.
// Three arrays per layer: W, V (the chip's extra array 0) and the fine array (extra array 1).
#include <string>
#include <vector>

#include "sim/rules/analog_momentum.h"
#include "sim/rules/periodic_carry.h"

namespace mortal {

struct ThresholdAccumulatorParams {
  AnalogMomentumParams momentum;
  FineCarry carry;  // whole steps only
  void validate() const;
};

class ThresholdAccumulator : public AnalogMomentumRule {
 public:
  ThresholdAccumulator(const ThresholdAccumulatorParams& p, hw::Chip& chip);
  static std::vector<std::string> extra_arrays(const ThresholdAccumulatorParams&) {
    return {"momentum", "accumulator"};
  }

  double step(const RuleStep& s) override;
  double forward_extra(int k, MatRef z, ConstMatRef x, double t_s, hw::FastRng& rng) override;
  void finish(std::vector<hw::FastRng>& layer_rng) override;
  void report(int k, nlohmann::json& layer) const override;
  void save(Checkpoint& c) const override;
  void restore(const Checkpoint& c) override;

 protected:
  // V's transfer into the fine array at factor times, in bursts where that is more than BL of its steps.
  double transfer(int k, ConstMatRef delta, double t_s, hw::FastRng& rng) override;
  float transfer_gain() const override { return float(factor_); }

 private:
  double factor_;
  PeriodicCarry carry_;
};

}  // namespace mortal
