#pragma once
// A run's learning curve as a picture: the errors per epoch and each layer's goodness for positive and
// negative data, read from the `curve` of its results and drawn beside the results as <stem>_curve.png.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "sim/plot.h"

namespace mortal {

struct LearningCurve {
  std::vector<Series> errors;    // x: epoch, y: percent; train, validation and test errors, as recorded
  std::vector<Series> goodness;  // x: epoch, y: mean goodness per image; "layer 1 positive", "layer 1 negative", ...
};

// The series a run's metrics record in `curve` (every scenario's layout: FF digital and in situ, BP, the
// linear classifier). An error the run did not record on an epoch (FF evaluates every --eval-every epochs)
// is left out of its series; a series with no point is left out.
LearningCurve learning_curve(const nlohmann::json& metrics);

// Where the curve of the run whose results go to `out` is drawn: <out without .json>_curve (.png, .csv, .gp).
std::string curve_plot_stem(const std::string& out);

// Draws <stem>.png with its data and script (sim/plot.h's draw_gnuplot): the errors above, the goodness
// below when the run recorded any. Throws Error when there is nothing to draw or gnuplot fails.
void plot_learning_curve(const std::string& stem, const std::string& title, const LearningCurve& curve);

// Draws the curve of `result` (a run's whole record) beside `out` and records the PNG in `result`
// ("curve_plot", empty when none was drawn, and "curve_plot_error"). The run's numbers do not depend on the
// picture: a plot that cannot be drawn (no gnuplot, say) is a warning on stderr; a run with no curve to draw
// (no epochs) is said in the record only.
void add_curve_plot(nlohmann::json& result, const std::string& out);

}  // namespace mortal
