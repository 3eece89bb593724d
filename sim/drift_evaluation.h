#pragma once
// After training, the chips idle and are read again: FF's chip, and its rival's when there is one, each
// plain and with the global drift compensation calibrated right after training (hw::Chip's drift probe).
// The table ff_mnist's in-situ results keep under "drift", and its plot.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "hw/chip.h"
#include "model/dataset.h"
#include "sim/chip_rival.h"
#include "sim/insitu_ff.h"
#include "sim/run_eta.h"

namespace mortal {

struct DriftEvaluation {
  nlohmann::json rows = nlohmann::json::array();  // one per time: the errors plain and compensated
  nlohmann::json compensation;                     // per chip: "compensated", or why it is not compensable
  std::string plot, plot_error;                    // the PNG's path, or why there is none
};

// A human label of an idle time: "1 s", "2 h", "1 day", "10 years".
std::string duration_label(double s);

// `ff` trained on `chip` (and `rival` programmed on `rival_chip`, both null when there is none) read on
// `test` at each of `times` seconds after training; the plot at `plot_stem`.png titled `title` (none when
// `times` is empty). Each time is timed in `eta`'s phase "drift" and reported on its own progress line.
DriftEvaluation evaluate_drift(InSituFF& ff, hw::Chip& chip, RivalOnChip* rival, hw::Chip* rival_chip,
                               const Dataset& test, const std::vector<double>& times, const std::string& plot_stem,
                               const std::string& title, RunEta& eta);

}  // namespace mortal
