#pragma once
// What a sweep's table says: per point, the mean and spread over its replicas of every numeric metric
// (summary.json), and PNG plots through gnuplot (each chosen metric against each swept parameter with
// error bars over the replicas, one line per value of the other parameters; a heat map when the grid is
// two parameters' product).
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "sim/sweep_grid.h"
#include "sim/sweep_table.h"

namespace mortal {

// summary.json's content: {"grid": ..., "points": [{"point", "values": {path: value}, "runs", "failed",
// "metrics": {name: {"mean", "std", "min", "max", "n"}}}]}; "std" is the sample standard deviation over
// the point's successful runs (0 for one run). A metric is numeric when every value of it is a number.
nlohmann::json summarise(const SweepSpec& spec, const std::vector<std::string>& header, const std::vector<CsvRow>& rows);

// The metrics plotted when none are named: those whose last name part holds "error", at most 12.
std::vector<std::string> default_plot_metrics(const nlohmann::json& summary);

// Draws the plots of `metrics` (from a summary) under `dir`/plots: <metric>_vs_<path>.png and, for a
// two-parameter product grid, <metric>_map.png, each with its .csv and .gp. Returns the PNGs drawn.
// Throws Error when gnuplot is missing or fails.
std::vector<std::string> plot_sweep(const SweepSpec& spec, const nlohmann::json& summary,
                                    const std::vector<std::string>& metrics, const std::string& dir);

// mortal_sweep --collect DIR: reads DIR/sweep.json and DIR/results.csv, writes DIR/summary.json and the
// plots (a plot that cannot be drawn is a warning). Returns the summary.
nlohmann::json collect_sweep(const std::string& dir, const std::vector<std::string>& metrics);

// mortal_sweep --tornado DIR: DIR holds one sweep per device property (its subfolders, each named for its
// property), each over that property scaled by a few factors in ascending order with factor 1 the middle
// point (bench/sensitivity.sh writes them so). Per property and metric (default: every *error* metric): the
// lowest and the highest mean over the points, and the middle point's mean. Writes DIR/tornado.json and
// DIR/tornado.png (with its .csv and .gp): one bar per property from lowest to highest, widest spread of
// the first metric on top, the factor-1 mean marked, one colour per metric. Returns the tornado's JSON.
nlohmann::json tornado(const std::string& dir, const std::vector<std::string>& metrics);

// The spec DIR/sweep.json records.
SweepSpec read_sweep_spec(const std::string& dir);

}  // namespace mortal
