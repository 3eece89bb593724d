#pragma once
// Calibration against published chips: a chip's matrix-vector workload (energy/calibration/NAME.toml:
// geometry, read modes, the published TOPS/W, each with its source) costed with the energy tables' event
// energies, and the modelled TOPS/W set beside the published one.
//
// Per core and product: in each phase a DAC conversion per row, a read of every device of every weight
// (V^2 G t at the tables' read voltage and mean conductance, for the mean input pulse), an ADC conversion
// per column; once per product, the digital unit's multiply-add per output (fp16 at 45 nm) and the input
// and output vectors through local SRAM. Operations per product: 2 rows cols. TOPS/W = operations / pJ.
//
// The ledger's events leave out what a chip spends besides them (clocking, leakage, control, links). One
// mode across the calibration files is marked `fit`: the overhead factor that brings its modelled figure
// to the published one is fitted there and then applied to every mode; the other modes test it.
#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

#include "hw/energy.h"
#include "sim/energy_tables.h"

namespace mortal {

struct CalibrationMode {
  std::string name;
  double phases = 1;
  double published_tops_per_w = 0;
  std::string published_source;
  bool fit = false;  // the overhead factor is fitted on this mode
};

struct CalibrationChip {
  std::string name;   // the file's stem: "hermes"
  std::string title;
  std::string path;
  std::map<std::string, EnergyConstant> workload;  // rows, cols, devices_per_weight, input_window_ns, ...
  std::vector<CalibrationMode> modes;
  double workload_value(const std::string& key) const;
};

// Reads and checks one calibration file; unknown or missing fields are refused by name.
// calibration_from_json: the same for a file already read (its name is the file's stem).
CalibrationChip read_calibration(const std::string& path);
CalibrationChip calibration_from_json(const nlohmann::json& j, const std::string& path);
// Every calibration file in `dir` (*.toml, in name order).
std::vector<CalibrationChip> read_calibrations(const std::string& dir);

// One core's product in `mode`, costed with `t` (no overhead).
hw::Ledger calibration_ledger(const CalibrationChip& chip, const CalibrationMode& mode, const EnergyTables& t);
double operations_per_product(const CalibrationChip& chip);

struct CalibrationResult {
  std::string chip, title, mode;
  double events_tops_per_w = 0;      // the ledger's events alone
  double calibrated_tops_per_w = 0;  // with the fitted overhead factor
  double published_tops_per_w = 0;
  std::string published_source;
  bool fit = false;
  double operations = 0;             // per product: 2 rows cols
  hw::Ledger ledger;                 // per product
  // modelled / published, and the factor between them whichever is larger (>= 1)
  double ratio() const { return calibrated_tops_per_w / published_tops_per_w; }
  double factor_off() const;
};

// The overhead factor fitted on the one `fit` mode among `chips`: its events-only TOPS/W over its
// published figure.
double fitted_overhead(const std::vector<CalibrationChip>& chips, const EnergyTables& t);

// Every mode of the chips named `which` ("all" for every chip), costed with `t`.
std::vector<CalibrationResult> calibrate(const std::vector<CalibrationChip>& chips, const std::string& which,
                                         const EnergyTables& t);

std::string calibration_table(const std::vector<CalibrationResult>& results, double overhead);
nlohmann::json to_json(const std::vector<CalibrationResult>& results, double overhead);

}  // namespace mortal
