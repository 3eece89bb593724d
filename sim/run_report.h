#pragma once
// Runs side by side: the figures of several results files in one table, and their test-error curves on one
// plot (mortal_report).
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "sim/plot.h"

namespace mortal {

struct RunSummary {
  std::string file;      // the results file, as named
  std::string scenario;  // the binary that wrote it
  std::string status;    // "finished", or "running" / "stopped" for a run's record so far
  std::string device;    // the chip's preset, or "digital"
  std::string layers;    // hidden layer sizes, "1000-1000"; "-" for none (the linear classifier)
  int epochs = 0;        // epochs recorded on the learning curve
  std::optional<double> test_error;       // the run's final figure (a fraction)
  std::optional<double> best_test_error;  // the lowest on its learning curve
  std::optional<double> train_error;      // the run's final train error (a fraction)
  std::optional<double> held_out_error;   // its final error on the held-out images (with --validation)
  // The epoch its held-out images chose (selected_by_validation, with --validation), its test error and its
  // held-out error.
  std::optional<int> chosen_epoch;
  std::optional<double> chosen_test_error;
  std::optional<double> chosen_held_out_error;
  std::optional<double> energy_pj_per_image;  // training energy from the chip's ledger, in situ
  std::optional<double> wall_s;
  Series test_curve;  // x: epoch, y: test error in percent, of the prediction the run reports
};

// The summary of `record`, the contents of results file `file`. Throws Error naming the file when the
// record is not a run's results or has no test error to compare (e.g. mortal_energy's).
RunSummary summarise_run(const std::string& file, const nlohmann::json& record);

// The record in the results file at `path` (Error naming it when it cannot be read or parsed).
nlohmann::json read_results_file(const std::string& path);
// Reads and summarises the results file at `path` (Error naming it when it cannot be read or parsed).
RunSummary load_run_summary(const std::string& path);

// The comparison table, one row per run, columns aligned for a terminal.
std::string report_table(const std::vector<RunSummary>& runs);

// Draws every run's test-error curve on one plot: <stem>.png, with its data and script (draw_gnuplot).
void plot_test_curves(const std::string& stem, const std::vector<RunSummary>& runs);

}  // namespace mortal
