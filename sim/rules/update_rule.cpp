#include "sim/rules/update_rule.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.h"
#include "sim/ff_experiment.h"

namespace mortal {

namespace {
template <class... F>
struct Overload : F... {
  using F::operator()...;
};
template <class... F>
Overload(F...) -> Overload<F...>;
}  // namespace

void validate(const UpdateRuleParams& p) {
  std::visit([](const auto& r) { r.validate(); }, p);
}

std::vector<std::string> extra_arrays(const UpdateRuleParams& p) {
  return std::visit(Overload{[](const PulsedSgdParams& r) { return PulsedSgd::extra_arrays(r); },
                             [](const AnalogMomentumParams& r) { return AnalogMomentumRule::extra_arrays(r); },
                             [](const FineCarry& r) { return PeriodicCarry::extra_arrays(r); },
                             [](const ThresholdAccumulatorParams& r) { return ThresholdAccumulator::extra_arrays(r); },
                             [](const MixedPrecisionParams& r) { return MixedPrecision::extra_arrays(r); }},
                    p);
}

UpdateRuleParams choose_update_rule(const FFParams& p, const AnalogMomentum& momentum, const FineCarry& carry,
                                    bool mixed_precision) {
  require(p.momentum_final < 0 || p.momentum > 0,
          "in situ a rising momentum (momentum-final {}) needs analog momentum (--momentum > 0, got {})",
          p.momentum_final, p.momentum);
  if (mixed_precision) {
    require(p.momentum == 0 && !carry.on(),
            "mixed-precision accumulates every step's change digitally: it takes no --momentum (got {}) and no "
            "--carry (got {})", p.momentum, carry.factor);
    return MixedPrecisionParams{};
  }
  if (p.momentum > 0) {
    const AnalogMomentumParams am{momentum, p.optimiser_params(), p.lr};
    if (carry.on()) return ThresholdAccumulatorParams{am, carry};
    return am;
  }
  if (carry.on()) return carry;
  return PulsedSgdParams{};
}

std::unique_ptr<UpdateRule> make_update_rule(const UpdateRuleParams& p, hw::Chip& chip) {
  const std::vector<std::string> want = extra_arrays(p);
  require(chip.params().extra_arrays == want,
          "the update rule needs the extra arrays [{}] beside every layer, chip '{}' has [{}]",
          fmt::format("{}", fmt::join(want, ", ")), chip.name(),
          fmt::format("{}", fmt::join(chip.params().extra_arrays, ", ")));
  return std::visit(
      Overload{[&](const PulsedSgdParams& r) -> std::unique_ptr<UpdateRule> { return std::make_unique<PulsedSgd>(r, chip); },
               [&](const AnalogMomentumParams& r) -> std::unique_ptr<UpdateRule> {
                 return std::make_unique<AnalogMomentumRule>(r, chip);
               },
               [&](const FineCarry& r) -> std::unique_ptr<UpdateRule> { return std::make_unique<PeriodicCarry>(r, chip); },
               [&](const ThresholdAccumulatorParams& r) -> std::unique_ptr<UpdateRule> {
                 return std::make_unique<ThresholdAccumulator>(r, chip);
               },
               [&](const MixedPrecisionParams& r) -> std::unique_ptr<UpdateRule> {
                 return std::make_unique<MixedPrecision>(r, chip);
               }},
      p);
}

}  // namespace mortal
