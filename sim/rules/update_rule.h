#pragma once
// An in-situ update rule: how one FF step's learning signal becomes pulses on the chip. Each rule is what a
// device type is (hw/device.h): a parameter struct with validate(), a class in a file of its own that owns
// what it needs beyond the weights (the extra arrays it asks the chip for, its row cursors, its part of the
// checkpoint), and one entry in the variant UpdateRuleParams. The trainer (sim/insitu_ff.h) holds one rule
// and calls step(); the chip offers arrays, converters and time and does not know which rule uses them.
//
// A rule's extra arrays are named (extra_arrays()): the chip builds them beside every layer, of its
// second preset (hw::ChipParams::second), and a name is the array's ledger module, checkpoint key and the
// random stream its devices are drawn from.
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/checkpoint.h"
#include "core/tensor.h"
#include "hw/chip.h"
#include "sim/rules/analog_momentum.h"
#include "sim/rules/mixed_precision.h"
#include "sim/rules/periodic_carry.h"
#include "sim/rules/pulsed_sgd.h"
#include "sim/rules/rule_step.h"
#include "sim/rules/threshold_accumulator.h"

namespace mortal {

struct FFParams;

using UpdateRuleParams =
    std::variant<PulsedSgdParams, AnalogMomentumParams, FineCarry, ThresholdAccumulatorParams, MixedPrecisionParams>;

void validate(const UpdateRuleParams& p);
// The names of the extra arrays the rule needs beside every layer (hw::ChipParams::extra_arrays).
std::vector<std::string> extra_arrays(const UpdateRuleParams& p);
// The rule of FF's options (p.momentum, p.momentum_final, p.lr) and the in-situ ones: analog momentum
// when p.momentum > 0, periodic carry when carry is on, both (a threshold accumulator), mixed precision
// when asked (with neither), or plain pulses.
UpdateRuleParams choose_update_rule(const FFParams& p, const AnalogMomentum& momentum, const FineCarry& carry,
                                    bool mixed_precision = false);
// The rule on `chip`, which must have been built with its extra arrays.
std::unique_ptr<UpdateRule> make_update_rule(const UpdateRuleParams& p, hw::Chip& chip);

}  // namespace mortal
