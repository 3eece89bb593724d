#pragma once
// Mixed-precision training (Nandakumar et al. 2018, "Mixed-precision deep learning based on computational
// memory"): the weight change of every step is accumulated digitally, one accumulator chi per weight, and a
// device is pulsed only when its chi has passed a whole device step: floor(|chi| / dw_min) pulses (at most
// BL per step) in chi's direction, no randomness in the count, and what was written leaves chi. The
// outer product lr d^T x needs x and d as numbers: the layer's learning signal d is converted by its
// column ADCs, and a hidden layer's analog inputs x by the ADCs of the layer before (the first layer's
// inputs are digital already), each conversion booked in the ledger. No extra array.
//
// Approximations: the conversions are at full precision (an ideal ADC; quantising them at the ADC's bits
// is the next refinement), and the digital products are not costed (the ledger has no digital MAC event
// on the chip).
#include <string>
#include <vector>

#include "hw/chip.h"
#include "sim/rules/rule_step.h"

namespace mortal {

struct MixedPrecisionParams {
  void validate() const {}
};

class MixedPrecision : public UpdateRule {
 public:
  MixedPrecision(const MixedPrecisionParams& p, hw::Chip& chip);
  static std::vector<std::string> extra_arrays(const MixedPrecisionParams&) { return {}; }

  double step(const RuleStep& s) override;
  void report(int k, nlohmann::json& layer) const override;
  void save(Checkpoint& c) const override;
  void restore(const Checkpoint& c) override;

  // Layer k's accumulators (out, in), normalised weight units.
  const Mat& accumulator(int k) const { return chi_[std::size_t(k)]; }

 private:
  hw::Chip& chip_;
  std::vector<Mat> chi_, dw_;                  // per layer: accumulators, the whole steps written
  std::vector<hw::Ledger::Handle> adc_;        // per layer: conversions of x and d
};

}  // namespace mortal
