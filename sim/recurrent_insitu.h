#pragma once
// The recurrent net of top-down effects (model/ff_recurrent.h) trained in situ: ff_mnist --recurrent N
// --device PRESET. Two chips of the preset hold its arrays:
//   - "ff", sizes [features, units 0, ..., units L-1] with a bias row: the bottom-up arrays, as the
//     feed-forward net's chip holds them, and every layer's circuits (ReLU, damping stage, goodness
//     integrator, sigmoid unit, length normaliser: sim/chip_periphery.h);
//   - "ff_down", sizes [classes, units L-1, ..., units 0] without a bias row: the top-down arrays, a chain
//     in reverse (its layer j is the top-down array of layer L-1-j), the clamped label entering its first
//     layer through DACs.
// Nothing between the layers is digitised: each layer's two arrays' column currents are summed, rectified,
// damped against the held state, integrated for the goodness and normalised on to the neighbours, all in
// analog; only the label (in) and the winning label (out, one conversion per image) cross. Both chips'
// updates go through the run's update rule (sim/rules/), one rule per chip, each with its extra arrays.
// Simulated time counts every operation one after another on one clock (the "ff" chip's); both chips
// book into one ledger, each under its own name.
//
// Not done here (the results say so): the BP rival, and the evaluation after idling (drift). Negatives are
// random (hard negatives need a digitised read-out on the learning path).
#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>

#include "sim/ff_experiment.h"
#include "sim/insitu_ff.h"
#include "sim/recurrent_experiment.h"
#include "sim/resume.h"

namespace mortal {

// The top-down chip of a recurrent run whose bottom-up chip is `up`: the same preset, overrides, rule arrays
// and scales, sizes [classes, units L-1, ..., units 0], no bias row, no damping stages; its first layer's
// DAC spans the clamped label as the input normalisation gives it.
hw::ChipParams recurrent_down_chip(const hw::ChipParams& up, const FFParams& p, const InSituParams& ip, int classes);

// The two chips of a recurrent run on `train` and the net on them (a RecurrentHost: sim/recurrent_experiment.h),
// with `program` the digital run's initial weights written by program-and-verify. Build it before the
// kernel starts: SystemC elaborates the chips once per process.
std::unique_ptr<RecurrentHost> recurrent_chips(const FFParams& p, const InSituParams& ip, const Dataset& train,
                                               std::uint64_t seed, bool program);

// Trains the recurrent net in situ and evaluates it; the metrics section (run_insitu_ff hands a run with
// --recurrent here).
nlohmann::json run_recurrent_insitu(const FFParams& p, const InSituParams& ip, const Checkpointing& ck,
                                    std::uint64_t seed, const FFCurveCallback& on_epoch = {});

}  // namespace mortal
