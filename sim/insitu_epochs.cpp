#include "sim/insitu_epochs.h"

#include <fmt/format.h>

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

bool evaluates(const EpochPlan& plan, int epoch) { return epoch % plan.eval_every == 0 || epoch == plan.epochs; }

void add_epoch_phases(RunEta& run, const EpochPlan& plan) {
  run.add(plan.label, plan.epochs);
  run.add(kTestEvaluation, evaluations(plan, 0, plan.epochs));
}

bool run_epochs(InSituFF& t, hw::Ledger& ledger, hw::Ledger& curve_energy, const Dataset& test, const EpochPlan& plan,
                EpochState& state, const std::function<bool(const EpochState&)>& at_end, RunEta* run) {
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
    entry["seconds"] = state.epoch_seconds.back();
    if (run != nullptr) run->finished(plan.label, state.epoch_seconds.back());
    if (evaluates(plan, epoch)) {
      // The learning curve's evaluation is not training: its time and energy are kept aside.
      Stopwatch eval_clock;
      const hw::Ledger before = ledger;
      entry["test_error"] = {{"goodness", t.error(test)}};
      curve_energy.add_all(ledger.minus(before));
      const double eval_s = eval_clock.seconds();
      state.eval_s += eval_s;
      if (run != nullptr) run->finished(kTestEvaluation, eval_s);
    }
    std::string layers_text;
    for (const auto& l : entry["layers"])
      layers_text += fmt::format(" {:.2f}/{:.0f}/{:.0f}", l["loss"].get<double>(), l["goodness_pos"].get<double>(),
                                 l["goodness_neg"].get<double>());
    progress.report(epoch, fmt::format("loss/G+/G- per layer{} | {:.1f} s | {:.3g} images/s simulated{}", layers_text,
                                       state.epoch_seconds.back(), entry["images_per_simulated_s"].get<double>(),
                                       entry.contains("test_error")
                                           ? fmt::format(" | test error goodness {:.2f}%",
                                                         100 * entry["test_error"]["goodness"].get<double>())
                                           : ""));
    state.curve.push_back(entry);
    state.epoch = epoch;
    if (!at_end(state)) {
      progress.finish();
      return epoch == plan.epochs;
    }
  }
  progress.finish();
  return true;
}

}  // namespace mortal
