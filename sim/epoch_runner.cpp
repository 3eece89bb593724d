#include "sim/epoch_runner.h"

#include <fmt/format.h>

#include "sim/ff_experiment.h"
#include "sim/progress.h"
#include "sim/results.h"

namespace mortal {
namespace {

int evaluations(const EpochPlan& plan, int from, int to) {
  int n = 0;
  for (int epoch = from + 1; epoch <= to; ++epoch) n += evaluates(plan, epoch) ? 1 : 0;
  return n;
}

}  // namespace

EpochState resumed_state(const ResumePoint& at) {
  EpochState state;
  state.epoch = at.epoch;
  state.step = at.step;
  state.curve = at.curve;
  state.epoch_seconds = at.epoch_seconds;
  return state;
}

std::function<bool(const EpochState&)> checkpoint_at_epoch_end(
    const Checkpointing& ck, std::function<void(const nlohmann::json&)> on_epoch,
    std::function<void(Checkpoint&)> save, std::function<double()> train_clock, double prior_train_s,
    double prior_eval_s) {
  return [&ck, on_epoch = std::move(on_epoch), save = std::move(save), train_clock = std::move(train_clock),
          prior_train_s, prior_eval_s](const EpochState& at) {
    if (on_epoch) on_epoch(at.curve);
    if (ck.path.empty()) return true;
    Checkpoint c;
    nlohmann::json record = epoch_record(ck, at);
    record["train_s"] = prior_train_s + train_clock() - at.eval_s;
    record["curve_evaluation_s"] = prior_eval_s + at.eval_s;
    c.put_json("run", record);
    save(c);
    c.save(ck.path);
    return !(ck.stop_after > 0 && at.epoch == ck.stop_after);
  };
}

nlohmann::json epoch_record(const Checkpointing& ck, const EpochState& at) {
  nlohmann::json record = checkpoint_run_record(ck);
  record.update({{"epoch", at.epoch}, {"step", at.step}, {"curve", at.curve}, {"epoch_seconds", at.epoch_seconds}});
  return record;
}

std::string layer_text(const nlohmann::json& layers) {
  std::string s;
  for (const auto& l : layers)
    s += fmt::format(" {:.2f}/{:.0f}/{:.0f}", l["loss"].get<double>(), l["goodness_pos"].get<double>(),
                     l["goodness_neg"].get<double>());
  return s;
}

bool evaluates(const EpochPlan& plan, int epoch) { return epoch % plan.eval_every == 0 || epoch == plan.epochs; }

void add_epoch_phases(RunEta& run, const EpochPlan& plan) {
  run.add(plan.label, plan.epochs);
  run.add(kTestEvaluation, evaluations(plan, 0, plan.epochs));
}

bool run_epochs(EpochTrainer& t, const EpochPlan& plan, EpochState& state,
                const std::function<bool(const EpochState&)>& at_end, RunEta* run) {
  const long long total_steps = plan.steps_per_epoch * plan.epochs;
  Progress progress(plan.label, plan.epochs);
  progress.resume_at(state.epoch);
  if (run != nullptr) {
    run->skipped(plan.label, state.epoch);
    run->skipped(kTestEvaluation, evaluations(plan, 0, state.epoch));
    progress.follow(run);
  }
  for (int epoch = state.epoch + 1; epoch <= plan.epochs; ++epoch) {
    Stopwatch epoch_clock;
    nlohmann::json entry = t.train_epoch(epoch, state.step, total_steps);
    state.epoch_seconds.push_back(epoch_clock.seconds());
    entry["epoch"] = epoch;
    entry["seconds"] = state.epoch_seconds.back();
    if (run != nullptr) run->finished(plan.label, state.epoch_seconds.back());
    if (evaluates(plan, epoch)) {
      Stopwatch eval_clock;
      entry["test_error"] = t.curve_error();
      const nlohmann::json beside = t.curve_errors_beside();
      for (const auto& [key, errors] : beside.items()) entry[key] = errors;
      const double eval_s = eval_clock.seconds();
      state.eval_s += eval_s;
      if (run != nullptr) run->finished(kTestEvaluation, eval_s);
    }
    if (plan.report)
      progress.report(epoch, fmt::format("loss/G+/G- per layer{} | {:.1f} s{}", layer_text(entry["layers"]),
                                         state.epoch_seconds.back(), t.progress_text(entry)));
    state.curve.push_back(entry);
    state.epoch = epoch;
    if (!at_end(state)) {
      if (plan.report) progress.finish();
      return epoch == plan.epochs;
    }
  }
  if (plan.report) progress.finish();
  return true;
}

namespace {

// An in-situ trainer as the runner sees it.
class InSituEpochs final : public EpochTrainer {
 public:
  InSituEpochs(InSituFF& t, hw::Ledger& ledger, hw::Ledger& curve_energy, const Dataset& test,
               const Dataset* readout_train)
      : t_(t), ledger_(ledger), curve_energy_(curve_energy), test_(test), readout_train_(readout_train) {}
  nlohmann::json train_epoch(int epoch, long long& step, long long total_steps) override {
    return t_.train_epoch(epoch, step, total_steps);
  }
  nlohmann::json curve_error() override {
    // The learning curve's evaluation is not training: its energy is kept aside.
    const hw::Ledger before = ledger_;
    if (std::string(t_.prediction()) == "softmax") {
      require(readout_train_ != nullptr, "the softmax read-out of the learning curve needs images to learn from");
      nlohmann::json passes = nlohmann::json::array();
      t_.fit_readout(*readout_train_, passes, false);
    }
    nlohmann::json error = {{t_.prediction(), t_.error(test_)}};
    curve_energy_.add_all(ledger_.minus(before));
    return error;
  }
  std::string progress_text(const nlohmann::json& entry) const override {
    return fmt::format(" | {:.3g} images/s simulated{}", entry["images_per_simulated_s"].get<double>(),
                       curve_errors_text(entry));
  }

 private:
  InSituFF& t_;
  hw::Ledger& ledger_;
  hw::Ledger& curve_energy_;
  const Dataset& test_;
  const Dataset* readout_train_;
};

}  // namespace

bool run_epochs(InSituFF& t, hw::Ledger& ledger, hw::Ledger& curve_energy, const Dataset& test,
                const Dataset* readout_train, const EpochPlan& plan, EpochState& state,
                const std::function<bool(const EpochState&)>& at_end, RunEta* run) {
  InSituEpochs epochs(t, ledger, curve_energy, test, readout_train);
  return run_epochs(epochs, plan, state, at_end, run);
}

}  // namespace mortal
