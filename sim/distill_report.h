#pragma once
// Distillation runs side by side (mortal_report --distill-by): each student's test error by transfer method
// against the one setting the runs differ in: the student's variability (perturb), the size of the transfer
// set (transfer), or the runs' order (generation: each run's teacher is the student the run before kept).
// The teacher's error is a line beside them. The plots of mortal computation: error against s,
// against the transfer set's size, and by generation.
#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

#include "sim/plot.h"

namespace mortal {

enum class DistillAxis { perturb, transfer, generation };
DistillAxis parse_distill_axis(const std::string& name);  // "perturb", "transfer" or "generation"
std::string axis_label(DistillAxis axis);

struct DistillReport {
  DistillAxis axis = DistillAxis::perturb;
  std::vector<Series> methods;  // one per transfer method, in order of first appearance: x, error in percent
  Series teacher;               // the teacher's error in percent at each run's x (generation: the run's
                                // teacher is generation x - 1)
};

// The report of mortal_distill results `runs` (file name, its record) along `axis`. Error naming the file
// when a record is not mortal_distill's finished results or lacks a figure it needs.
DistillReport distill_report(const std::vector<std::pair<std::string, nlohmann::json>>& runs, DistillAxis axis);
// One row per x: the teacher's error and each method's, columns aligned for a terminal.
std::string distill_table(const DistillReport& report);
// <stem>.png with its data and script (plot_png).
void plot_distill(const std::string& stem, const DistillReport& report);

}  // namespace mortal
