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
#include <memory>
#include <vector>

#include "core/checkpoint.h"
#include "model/dataset.h"
#include "model/ff_recurrent.h"
#include "sim/ff_experiment.h"
#include "sim/resume.h"

namespace mortal {

// What a recurrent run trains: its net, and the part of a checkpoint that is the arrays'. Digital arrays
// (train_recurrent), or two chips (sim/recurrent_insitu.h).
class RecurrentHost {
 public:
  virtual ~RecurrentHost() = default;
  virtual FFRecurrentNet& net() = 0;
  // Before each learning step: its rate and the next step's (an in-situ rule's decay at the end of a step
  // takes the next one's).
  virtual void rates(float /*lr*/, float /*lr_next*/) {}
  // An evaluation begins (true) or ends (false): a chip keeps its energy and time apart from training's.
  virtual void evaluating(bool /*on*/) {}
  // The net has just chosen the labels of `images` images (a chip books its read-out).
  virtual void predicted(long long /*images*/) {}
  virtual void save(Checkpoint& c) = 0;
  virtual void restore(const Checkpoint& c) = 0;
  // The end of training, before the final evaluation (an in-situ rule leaves the weights as inference reads
  // them).
  virtual void finish_training() {}
  // What the results record of the arrays, added to the run's metrics.
  virtual void describe(nlohmann::json& /*metrics*/) {}
};

// The digital run's net: the bottom-up arrays as the feed-forward net's (make_ff_arrays), the top-down ones
// (recurrent_down_weights), exact circuits.
std::unique_ptr<RecurrentHost> digital_recurrent(const FFParams& p, int features, int classes, std::uint64_t seed);

// The top-down arrays of a run's recurrent net: layer l's (units l outputs, units l+1 or the classes as
// inputs), initialised as the bottom-up ones are (p.init_scale), each from its own stream of the seed.
std::vector<Mat> recurrent_down_weights(const FFParams& p, int classes, std::uint64_t seed);

// The recurrent run on `host`'s net: epochs, checkpoints at every epoch end, the final evaluation; the
// metrics section, as train_recurrent's.
nlohmann::json run_recurrent(RecurrentHost& host, const FFParams& p, const Dataset& train, const Dataset& test,
                             std::uint64_t seed, bool log, const FFCurveCallback& on_epoch, const Checkpointing& ck,
                             const Dataset* validation = nullptr);

// With `validation` (null or empty: none), as train_ff: a validation error at every evaluation of the curve,
// "validation_errors" and "selected_by_validation".
nlohmann::json train_recurrent(const FFParams& p, const Dataset& train, const Dataset& test, std::uint64_t seed,
                               bool log, const FFCurveCallback& on_epoch, const Checkpointing& ck,
                               const Dataset* validation = nullptr);

}  // namespace mortal
