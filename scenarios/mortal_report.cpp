// mortal_report: several runs side by side: their figures in one table, their test-error curves on one plot.
//   build/bin/mortal_report results/ff_mnist.json results/ecram.json results/bp_mnist.json --plot cmp.png
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/blas_kernels.h"
#include "core/error.h"
#include "sim/cli.h"
#include "sim/distill_report.h"
#include "sim/run_report.h"

int main(int argc, char** argv) {
  mortal::restart_with_blas_kernels(argv);
  using namespace mortal;
  CLI::App app{"Compare runs: one row per results file (ff_mnist, bp_mnist, linear_mnist), their test-error "
               "curves on one plot", "mortal_report"};
  std::vector<std::string> files;
  std::string plot, distill_by;
  app.add_option("results", files, "Results files (JSON) of the runs to compare")->required();
  app.add_option("--plot", plot, "Draw the runs' test error per epoch into this PNG (its CSV and gnuplot script "
                                 "beside it); with --distill-by, the students' errors against its setting");
  app.add_option("--distill-by", distill_by,
                 "mortal_distill runs: each method's student error against the setting they differ in: perturb "
                 "(the student's variability), transfer (the transfer set's size) or generation (the files in "
                 "order, each run's teacher the student of the one before), the teacher's error beside");
  int code = 0;
  if (!parse_command_line(app, argc, argv, code)) return code;
  try {
    require(plot.empty() || (plot.size() > 4 && plot.substr(plot.size() - 4) == ".png"),
            "--plot {}: the plot is a PNG, its name must end in .png", plot);
    if (!distill_by.empty()) {
      const DistillAxis axis = parse_distill_axis(distill_by);
      std::vector<std::pair<std::string, nlohmann::json>> runs;
      for (const std::string& f : files) runs.emplace_back(f, read_results_file(f));
      const DistillReport report = distill_report(runs, axis);
      fmt::print("{}", distill_table(report));
      if (!plot.empty()) {
        plot_distill(plot.substr(0, plot.size() - 4), report);
        fmt::print("students' errors in {}\n", plot);
      }
      return 0;
    }
    std::vector<RunSummary> runs;
    for (const std::string& f : files) runs.push_back(load_run_summary(f));
    fmt::print("{}", report_table(runs));
    // Runs of one setting over several seeds: their mean and its standard error.
    const std::vector<SeedGroup> groups = seed_groups(runs);
    if (std::any_of(groups.begin(), groups.end(), [](const SeedGroup& g) { return g.files.size() > 1; }))
      fmt::print("\nthe same settings over seeds (mean +- standard error of the mean):\n{}", seed_group_table(groups));
    if (!plot.empty()) {
      plot_test_curves(plot.substr(0, plot.size() - 4), runs);
      fmt::print("test-error curves in {}\n", plot);
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "mortal_report: error: {}\n", e.what());
    return 1;
  }
  return 0;
}
