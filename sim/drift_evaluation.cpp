#include "sim/drift_evaluation.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.h"
#include "sim/plot.h"
#include "sim/progress.h"

namespace mortal {

std::string duration_label(double s) {
  if (s < 60) return fmt::format("{:g} s", s);
  if (s < 86400) return fmt::format("{:g} h", s / 3600);
  if (s < 365 * 86400.0) return fmt::format("{:g} day{}", s / 86400, s == 86400 ? "" : "s");
  return fmt::format("{:g} year{}", s / (365 * 86400.0), s == 365 * 86400.0 ? "" : "s");
}

DriftEvaluation evaluate_drift(InSituFF& ff, hw::Chip& chip, RivalOnChip* rival, hw::Chip* rival_chip,
                               const Dataset& test, const std::vector<double>& times, const std::string& plot_stem,
                               const std::string& title, RunEta& eta) {
  require((rival == nullptr) == (rival_chip == nullptr), "drift evaluation: a rival needs its chip");
  DriftEvaluation out;
  // Calibrate the global compensation now. A probe that reads nothing usable (0 or not finite: a 1-bit ADC,
  // a range that swallows the signal, overwhelming noise) leaves nothing to compensate against: the table
  // then has no compensated column.
  const std::string ff_probe = chip.calibrate_drift(ff.eval_rng());
  const std::string bp_probe = rival ? rival_chip->calibrate_drift(rival->rng()) : std::string();
  out.compensation = {{"ff", ff_probe.empty() ? "compensated" : "not compensable: " + ff_probe},
                      {"rival", !rival ? "none" : bp_probe.empty() ? "compensated" : "not compensable: " + bp_probe}};
  if (!ff_probe.empty()) fmt::print(stderr, "warning: FF chip's drift not compensable: {}\n", ff_probe);
  if (!bp_probe.empty()) fmt::print(stderr, "warning: rival chip's drift not compensable: {}\n", bp_probe);
  chip.sync();
  const double t_end = chip.now_s();
  Series ff_plain{"FF in situ", {}, {}}, ff_comp{"FF in situ, drift compensated", {}, {}};
  Series bp_plain{"BP programmed", {}, {}}, bp_comp{"BP programmed, drift compensated", {}, {}};
  std::vector<std::string> tics;
  Progress progress("drift", int(times.size()));
  progress.follow(&eta);
  for (double dt : times) {
    Stopwatch time_clock;
    chip.idle(std::max(0.0, t_end + dt - chip.now_s()));
    nlohmann::json row = {{"time_s", dt}, {"label", duration_label(dt)}};
    // Reads `key` into the row and its series, plain or compensated.
    const auto read = [&](const char* key, double error, Series& series) {
      row[key] = error;
      series.x.push_back(dt);
      series.y.push_back(100 * error);
    };
    const auto percent = [&](const char* key) {
      return row[key].is_null() ? std::string("n/a") : fmt::format("{:.2f}%", 100 * row[key].get<double>());
    };
    chip.reset_drift_compensation();
    read("test_error", ff.error(test), ff_plain);
    row["test_error_compensated"] = nullptr;
    if (ff_probe.empty()) {
      chip.compensate_drift(ff.eval_rng());
      read("test_error_compensated", ff.error(test), ff_comp);
    }
    if (rival) {
      rival_chip->reset_drift_compensation();
      read("rival_test_error", rival->error(test), bp_plain);
      row["rival_test_error_compensated"] = nullptr;
      if (bp_probe.empty()) {
        rival_chip->compensate_drift(rival->rng());
        read("rival_test_error_compensated", rival->error(test), bp_comp);
      }
    }
    tics.push_back(row["label"]);
    out.rows.push_back(row);
    eta.finished("drift", time_clock.seconds());
    // Each time's errors stay on the screen: the line is ended, not updated by the next.
    progress.report(int(out.rows.size()),
                    fmt::format("after {:>9}: FF {} (compensated {}){}", row["label"].get<std::string>(),
                                percent("test_error"), percent("test_error_compensated"),
                                rival ? fmt::format(" | BP {} (compensated {})", percent("rival_test_error"),
                                                    percent("rival_test_error_compensated"))
                                      : ""));
    progress.finish();
  }
  if (times.empty()) return out;
  std::vector<Series> series = {ff_plain};
  if (!ff_comp.x.empty()) series.push_back(ff_comp);
  if (rival) series.push_back(bp_plain);
  if (!bp_comp.x.empty()) series.push_back(bp_comp);
  const PlotSpec spec{title, "time after training", "test error (%)", true, false, tics};
  // The run's numbers do not depend on the picture: a plot that fails is a warning, the results stand.
  try {
    plot_png(plot_stem, spec, series);
    out.plot = plot_stem + ".png";
  } catch (const Error& e) {
    fmt::print(stderr, "warning: no drift plot: {}\n", e.what());
    out.plot_error = e.what();
  }
  return out;
}

}  // namespace mortal
