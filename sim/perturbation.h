#pragma once
// How much the individuals of one chip design differ, as one scale s. At s = 1 a chip has its device
// preset's own device-to-device spreads, and beside them spreads the presets leave at zero: every analog
// unit's gain and offset (ReLU, length normaliser, goodness integrator, sigmoid, DAC, ADC, pulse
// generators' gains: so the forward computation of one chip is not exactly that of another, its ReLU with its
// own knee and slope per unit), and stuck devices. s multiplies all of them: s = 0 is a chip whose individuals
// are identical, s = 2 one twice as variable. Each stays settable on its own afterwards with --hw.
//
// The values at s = 1 are assumptions (REFERENCES.md has no figure for this periphery): a gain spread of
// 5% and an offset spread of 0.02 output units per analog channel, and 0.5% of the devices stuck at g_min
// and as many at g_max.
#include <string>

#include "hw/chip.h"

namespace CLI {
class App;
}  // namespace CLI

namespace mortal {

struct Perturbation {
  double scale = 1.0;           // s
  double gain_dtod = 0.05;      // at s = 1: relative sd of every analog channel's gain
  double offset_dtod = 0.02;    // at s = 1: sd of every analog channel's offset, in its output's units
  double stuck_rate = 0.005;    // at s = 1: fraction of devices stuck at g_min, and as many at g_max

  void validate() const;
  // The options under `prefix` (e.g. "" gives --perturb, --perturb-gain, ...).
  void add_options(CLI::App& app, const std::string& prefix = "");
};

// chip with its variability scaled by p (its device spreads multiplied, the periphery's and the stuck
// rates set from p): for every crossbar of it, the weights' and the second arrays'.
void perturb(hw::ChipParams& chip, const Perturbation& p);

}  // namespace mortal
