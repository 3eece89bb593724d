#pragma once
// The epochs of one in-situ trainer (sim/insitu_ff.h): a pass over its data per epoch, the learning curve
// with the test error every eval_every epochs (its time and energy kept out of training's), a progress line
// per epoch, and the caller's say at every epoch end (where it checkpoints, and whether the run goes on).
#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

#include "hw/energy.h"
#include "model/dataset.h"
#include "sim/insitu_ff.h"
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

struct EpochPlan {
  int epochs = 1;                  // of the whole run: the rate schedule's length
  long long steps_per_epoch = 1;
  int eval_every = 1;              // the curve's test error every this many epochs, and at the last
  std::string label = "epoch";     // names the progress line, and the epochs' phase of a RunEta
};

// The phase of a RunEta that the learning curve's test evaluations are: a test-set evaluation, what the
// evaluations after training are estimated from.
inline const std::string kTestEvaluation = "test evaluation";

// Whether the learning curve is evaluated after `epoch`.
bool evaluates(const EpochPlan& plan, int epoch);
// Adds the epochs of `plan` and their test evaluations to `run`, in that order (all of them: run_epochs
// skips those a resumed run finished before).
void add_epoch_phases(RunEta& run, const EpochPlan& plan);

// Trains epochs state.epoch + 1 .. plan.epochs. After each, `at_end(state)` is called (checkpoint there);
// it returns false to stop the run there. Returns true when every epoch has run. With `run` (its phases
// added by add_epoch_phases), the epochs and evaluations are timed there and the progress line's ETA is
// the run's.
bool run_epochs(InSituFF& t, hw::Ledger& ledger, hw::Ledger& curve_energy, const Dataset& test, const EpochPlan& plan,
                EpochState& state, const std::function<bool(const EpochState&)>& at_end, RunEta* run = nullptr);

}  // namespace mortal
