#pragma once
// Plain pulsed SGD (Gokmen & Vlasov 2016): the step's outer product lr d^T x applied to the weights (every
// copy of them) by stochastic pulse coincidence. No extra array.
#include "hw/chip.h"
#include "sim/rules/rule_step.h"

namespace mortal {

struct PulsedSgdParams {
  void validate() const {}
};

class PulsedSgd : public UpdateRule {
 public:
  PulsedSgd(const PulsedSgdParams& p, hw::Chip& chip);
  static std::vector<std::string> extra_arrays(const PulsedSgdParams&) { return {}; }
  double step(const RuleStep& s) override;

 private:
  hw::Chip& chip_;
};

}  // namespace mortal
