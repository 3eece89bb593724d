#pragma once
// PNG plots through gnuplot: the data and the script that drew it are written beside the PNG, so a person
// can restyle the figure without rerunning the experiment.
#include <string>
#include <vector>

#include "sim/process.h"

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

// A gnuplot string literal: single-quoted, so nothing inside is substituted or run.
std::string gnuplot_literal(const std::string& s);

// One run of gnuplot with `args`, without a shell, its two output streams captured together in `out`.
ProcessResult run_gnuplot(const std::vector<std::string>& args);

// Writes <stem>.csv and <stem>.gp as given and draws <stem>.png by running `gnuplot -c STEM.gp STEM.png
// STEM.csv` (the script names no file: the PNG and the data arrive as ARG1 and ARG2). Throws Error when
// gnuplot is missing or fails, with what it printed; the CSV stays, the PNG is never half-written;
// gnuplot's warnings go to stderr.
void draw_gnuplot(const std::string& stem, const std::string& csv, const std::string& gp);

// Writes <stem>.csv (one column of x, one of y per series), <stem>.gp and, by running gnuplot, <stem>.png.
// Drawn by draw_gnuplot, so a path is never read as gnuplot text, and gnuplot runs without a shell.
void plot_png(const std::string& stem, const PlotSpec& spec, const std::vector<Series>& series);

}  // namespace mortal
