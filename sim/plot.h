#pragma once
// PNG plots through gnuplot: the data and the script that drew it are written beside the PNG, so a person
// can restyle the figure without rerunning the experiment.
#include <string>
#include <vector>

namespace mortal {

struct Series {
  std::string title;
  std::vector<double> x, y;
};

struct PlotSpec {
  std::string title;
  std::string xlabel, ylabel;
  bool log_x = false;
  bool log_y = false;
  std::vector<std::string> xtic_labels;  // optional names for the x values, in order (e.g. "1 s", "1 day")
};

// Writes <stem>.csv (one column of x, one of y per series), <stem>.gp and, by running gnuplot, <stem>.png.
// Throws Error when gnuplot is missing or fails; the CSV stays, the PNG is never half-written.
void plot_png(const std::string& stem, const PlotSpec& spec, const std::vector<Series>& series);

}  // namespace mortal
