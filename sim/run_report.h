#pragma once
// Runs side by side: the figures of several results files in one table, and their test-error curves on one
// plot (mortal_report).
#include <nlohmann/json.hpp>

#include <cstdint>
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
  std::optional<std::uint64_t> seed;  // the run's seed, as its record names it
  // What the run learned and how: its binary, data and every setting of its config but its seed and those
  // that say only where it writes or how it was started (run_place_keys(), sim/resume.h). Runs with the same
  // settings differ only in seed.
  nlohmann::json settings;
};

// A figure over the runs of one setting: its mean, the standard error of that mean (sample standard deviation
// over sqrt(n); absent for one run), and how many runs recorded it.
struct SeedSpread {
  std::optional<double> mean, standard_error;
  int n = 0;
};

// The runs of one setting over seeds.
struct SeedGroup {
  std::string label;  // what sets the group apart from the others: its binary, layers and settings that differ
  std::vector<std::string> files;
  std::vector<std::uint64_t> seeds;
  int unfinished = 0;  // runs whose record is not "finished"
  SeedSpread test_error, train_error, held_out_error, chosen_test_error;
};

// The runs grouped by their settings (each option the same, a list spelled either way: same_setting), in the order each group's first run was given.
std::vector<SeedGroup> seed_groups(const std::vector<RunSummary>& runs);

// The table of seed_groups, one row per group: its seeds, and each figure's mean and standard error.
std::string seed_group_table(const std::vector<SeedGroup>& groups);

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
