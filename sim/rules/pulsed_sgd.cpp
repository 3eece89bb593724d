#include "sim/rules/pulsed_sgd.h"

namespace mortal {

PulsedSgd::PulsedSgd(const PulsedSgdParams& p, hw::Chip& chip) : chip_(chip) { p.validate(); }

double PulsedSgd::step(const RuleStep& s) {
  return s.ns + chip_.update_at(s.layer, s.x, s.d, s.lr, s.t_s + s.ns * 1e-9, s.rng).ns;
}

}  // namespace mortal
