#pragma once
// Supervised FF on the recurrent net of top-down effects (model/ff_recurrent.h), digital: train_ff hands a
// run with --recurrent N here. Every batch runs its positives (the true label clamped at the top) and its
// negatives (a wrong label) for N synchronous iterations, each a step of FF for every layer. Hard negatives
// are drawn as the paper draws them, from one forward pass: a softmax read-out on the bottom-up pass's
// normalised states (no label in it, nothing flowing back into the layers) gives the probabilities over the
// wrong labels. The prediction is by goodness over the scored iterations. Checkpointed at every epoch end,
// as the feed-forward pipelined run is.
#include <nlohmann/json.hpp>

#include <cstdint>

#include "model/dataset.h"
#include "sim/ff_experiment.h"
#include "sim/resume.h"

namespace mortal {

// With `validation` (null or empty: none), as train_ff: a validation error at every evaluation of the curve,
// "validation_errors" and "selected_by_validation".
nlohmann::json train_recurrent(const FFParams& p, const Dataset& train, const Dataset& test, std::uint64_t seed,
                               bool log, const FFCurveCallback& on_epoch, const Checkpointing& ck,
                               const Dataset* validation = nullptr);

}  // namespace mortal
