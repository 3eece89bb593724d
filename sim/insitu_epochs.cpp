#include "sim/insitu_epochs.h"

#include <fmt/format.h>

#include "sim/progress.h"
#include "sim/results.h"

namespace mortal {

bool run_epochs(InSituFF& t, hw::Ledger& ledger, hw::Ledger& curve_energy, const Dataset& test, const EpochPlan& plan,
                EpochState& state, const std::function<bool(const EpochState&)>& at_end) {
  const long long total_steps = plan.steps_per_epoch * plan.epochs;
  Progress progress(plan.label, plan.epochs);
  progress.resume_at(state.epoch);
  for (int epoch = state.epoch + 1; epoch <= plan.epochs; ++epoch) {
    Stopwatch epoch_clock;
    nlohmann::json entry = t.train_epoch(epoch, state.step, total_steps);
    state.epoch_seconds.push_back(epoch_clock.seconds());
    entry["seconds"] = state.epoch_seconds.back();
    if (epoch % plan.eval_every == 0 || epoch == plan.epochs) {
      // The learning curve's evaluation is not training: its time and energy are kept aside.
      Stopwatch eval_clock;
      const hw::Ledger before = ledger;
      entry["test_error"] = {{"goodness", t.error(test)}};
      curve_energy.add_all(ledger.minus(before));
      state.eval_s += eval_clock.seconds();
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
