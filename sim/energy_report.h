#pragma once
// mortal_energy: FF in situ against BP, digital and analog, per training image and per inference image,
// from a real in-situ run's ledger and from counts, costed by the energy tables (sim/energy_models.h);
// with the breakdown per module and event, the ratios, the test errors beside the energies, the
// sensitivity of the headline ratio to the tables' constants, a stacked-bar and a Pareto plot; or, with
// --calibrate, the tables against published chips (sim/energy_calibration.h).
#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "hw/energy.h"
#include "model/bp_cost.h"
#include "sim/energy_models.h"
#include "sim/energy_tables.h"

namespace CLI {
class App;
}  // namespace CLI

namespace mortal {

struct MortalEnergyParams {
  std::string tables;                     // folder of energy/*.toml (default: the source tree's energy/)
  std::vector<std::string> energy_files;  // --energy: override files, in order
  std::vector<std::string> energy_sets;   // --energy-set PATH=VALUE, applied after the files
  std::vector<std::string> insitu;        // ff_mnist in-situ results: the first is costed in full, all are plotted
  std::string run_insitu;                 // ff_mnist options of a short in-situ run made first and costed in full
  std::string bp;                         // bp_mnist results: its counts and test error
  std::string ff_digital;                 // ff_mnist digital results: its test error
  std::vector<int> layers;                // the network costed (default: the first run's)
  int features = 784;                     // MNIST's 28 x 28 pixels
  int classes = 10;
  int batch = 0;                          // 0: the first run's
  std::string calibrate;                  // a chip of <tables>/calibration, or "all"
  int sensitivity = 3;                    // constants listed by their influence on the headline ratio
  std::string plot;                       // stem of the plots (default: the results path's stem)

  void add_options(CLI::App& app);
  void validate() const;
  std::string plot_stem(const std::string& out) const;
  // Where --run-insitu's run writes its results: beside the results file.
  std::string insitu_run_out(const std::string& out) const;
  // --run-insitu's options, one per word; refuses --out and --force (mortal_energy sets them).
  std::vector<std::string> insitu_run_args() const;
};

// Runs ff_mnist (beside this program) with `args`, its results at `out` (replacing a finished one when
// `force`); throws Error with the end of its output when it fails.
void run_insitu_ff(const std::vector<std::string>& args, const std::string& out, bool force);

// The tables with the overrides applied, in order.
EnergyTables load_energy_tables(const MortalEnergyParams& p);

// An ff_mnist in-situ results file, as the comparison reads it.
struct InsituRun {
  std::string path, device;
  EnergyNet net;
  double images = 0;  // training images seen (examples x epochs)
  double test_error = std::numeric_limits<double>::quiet_NaN();
  nlohmann::json training_ledger;  // metrics.energy_training
  nlohmann::json total_ledger;     // metrics.energy_total (training and every evaluation), or null
};

// The run's evaluations on the FF chip (energy_total less energy_training, modules "ff." only: no rival
// chip), per image predicted by goodness (one label read-out each), costed with the tables; the drift
// compensation's probe reads are in it. Empty when the run records no evaluation.
// `images`, if given, receives how many images the evaluations predicted.
hw::Ledger measured_inference(const InsituRun& run, const EnergyTables& t, double* images = nullptr);
InsituRun read_insitu_run(const std::string& path, int features, int classes);

// One way of training and inferring, per image.
struct EnergyRow {
  std::string key, label, basis;
  hw::Ledger training, inference;
  double test_error = std::numeric_limits<double>::quiet_NaN();  // NaN: no run given
};

struct EnergyInputs {
  EnergyNet net;
  const InsituRun* run = nullptr;  // its ledger costs FF in situ when its network is `net`
  BpCost bp_training, bp_inference, ff_training, ff_inference;
  double bp_test_error = std::numeric_limits<double>::quiet_NaN();
  double ff_digital_test_error = std::numeric_limits<double>::quiet_NaN();
};

struct EnergyComparison {
  std::vector<EnergyRow> rows;
  const EnergyRow& row(const std::string& key) const;
  // Training energy per image of row a over row b.
  double ratio(const std::string& a, const std::string& b) const;
  double headline() const { return ratio("ff_analog", "bp_digital_h100"); }
};

EnergyComparison compare_energy(const EnergyInputs& in, const EnergyTables& t);

// How the headline ratio moves when one constant is halved or doubled, the `top` largest moves first.
struct Sensitivity {
  std::string path;
  double value = 0;
  double ratio_half = 0, ratio_double = 0;  // NaN where the constant cannot take the value
  double elasticity = 0;                    // d ln(ratio) / d ln(constant), from the larger move
};
std::vector<Sensitivity> headline_sensitivity(const EnergyInputs& in, const EnergyTables& t, int top);

// Runs the scenario; returns the metrics section and appends what it prints to `text`.
nlohmann::json run_mortal_energy(const MortalEnergyParams& p, const std::string& out, std::string& text,
                                 bool force = false);

}  // namespace mortal
