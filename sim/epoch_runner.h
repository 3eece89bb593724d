#pragma once
// The epochs of one trainer, digital (sim/ff_experiment.cpp) or in situ (sim/insitu_ff.h): a pass over its
// data per epoch, the learning curve with the test error every eval_every epochs (its time, and on a chip
// its energy, kept out of training's), a progress line per epoch with the ETA, and the caller's say at
// every epoch end (where it checkpoints, and whether the run goes on). A resumed run starts from the state
// its checkpoint kept.
#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

#include "hw/energy.h"
#include "model/dataset.h"
#include "sim/insitu_ff.h"
#include "sim/resume.h"
#include "sim/run_eta.h"

namespace mortal {

// Where a trainer's epochs stand: what a checkpoint keeps of them.
struct EpochState {
  int epoch = 0;        // the last finished epoch
  long long step = 0;   // batches trained so far
  nlohmann::json curve = nlohmann::json::array();
  std::vector<double> epoch_seconds;
  double eval_s = 0;    // wall time of the curve's evaluations in this process
};

// Where a resumed run's epochs stand, from its checkpoint's record.
EpochState resumed_state(const ResumePoint& at);
// The epoch end (run_epochs' at_end) of a run whose trainer keeps its state by `save`: the curve so far to
// `on_epoch` (if any), and with ck.path a checkpoint of the epoch's record and the trainer's state. The
// record's train_s is `train_clock()` (this process's seconds since training began) less the curve's
// evaluations, and curve_evaluation_s theirs, each with the seconds before a resume (`prior_train_s`,
// `prior_eval_s`) added. False once ck.stop_after is checkpointed.
std::function<bool(const EpochState&)> checkpoint_at_epoch_end(
    const Checkpointing& ck, std::function<void(const nlohmann::json&)> on_epoch,
    std::function<void(Checkpoint&)> save, std::function<double()> train_clock, double prior_train_s,
    double prior_eval_s);
// A checkpoint's run record at an epoch end: the run's settings (checkpoint_run_record) and where its
// epochs stand; the caller adds its own fields.
nlohmann::json epoch_record(const Checkpointing& ck, const EpochState& at);

struct EpochPlan {
  int epochs = 1;                  // of the whole run: the rate schedule's length
  long long steps_per_epoch = 1;
  int eval_every = 1;              // the curve's test error every this many epochs, and at the last
  std::string label = "epoch";     // names the progress line, and the epochs' phase of a RunEta
  bool report = true;              // print the progress lines
};

// What the runner asks of a trainer.
class EpochTrainer {
 public:
  virtual ~EpochTrainer() = default;
  // One pass over the training set (`step` counts batches over the run's `total_steps`): the epoch's curve
  // entry, with per-layer "loss", "goodness_pos" and "goodness_neg" under "layers" (the runner adds the
  // epoch's number and seconds).
  virtual nlohmann::json train_epoch(int epoch, long long& step, long long total_steps) = 0;
  // The learning curve's test error after an epoch: the entry's "test_error".
  virtual nlohmann::json curve_error() = 0;
  // The errors beside it, each a key the entry gains: "train_error" on the training-evaluation images, so
  // that underfitting shows on the curve, and "validation_error" on held-out training images, to choose an
  // epoch by (never the test set); none by default (a chip's evaluation would advance its clock, and with
  // it the drift its training sees).
  virtual nlohmann::json curve_errors_beside() { return nlohmann::json::object(); }
  // The end of an epoch's progress line, after its layers' loss and goodness and its time.
  virtual std::string progress_text(const nlohmann::json& entry) const = 0;
};

// The phase of a RunEta that the learning curve's test evaluations are: a test-set evaluation, what the
// evaluations after training are estimated from.
inline const std::string kTestEvaluation = "test evaluation";

// " loss/G+/G-" of each layer of a curve entry's "layers", as the progress lines print them.
std::string layer_text(const nlohmann::json& layers);

// Whether the learning curve is evaluated after `epoch`.
bool evaluates(const EpochPlan& plan, int epoch);
// Adds the epochs of `plan` and their test evaluations to `run`, in that order (all of them: run_epochs
// skips those a resumed run finished before).
void add_epoch_phases(RunEta& run, const EpochPlan& plan);

// Trains epochs state.epoch + 1 .. plan.epochs. After each, `at_end(state)` is called (checkpoint there);
// it returns false to stop the run there. Returns true when every epoch has run. With `run` (its phases
// added by add_epoch_phases), the epochs and evaluations are timed there and the progress line's ETA is
// the run's.
bool run_epochs(EpochTrainer& t, const EpochPlan& plan, EpochState& state,
                const std::function<bool(const EpochState&)>& at_end, RunEta* run = nullptr);

// The same for an in-situ trainer: its curve's test error is by its prediction on `test` (goodness, or a
// softmax read-out fitted afresh on `readout_train`'s images for each evaluation), its energy moved from
// `ledger` into `curve_energy`.
bool run_epochs(InSituFF& t, hw::Ledger& ledger, hw::Ledger& curve_energy, const Dataset& test,
                const Dataset* readout_train, const EpochPlan& plan, EpochState& state,
                const std::function<bool(const EpochState&)>& at_end, RunEta* run = nullptr);

}  // namespace mortal
