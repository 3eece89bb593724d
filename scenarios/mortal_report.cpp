// mortal_report: several runs side by side: their figures in one table, their test-error curves on one plot.
//   build/bin/mortal_report results/ff_mnist.json results/ecram.json results/bp_mnist.json --plot cmp.png
#include <fmt/format.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "sim/cli.h"
#include "sim/run_report.h"

int main(int argc, char** argv) {
  using namespace mortal;
  CLI::App app{"Compare runs: one row per results file (ff_mnist, bp_mnist, linear_mnist), their test-error "
               "curves on one plot", "mortal_report"};
  std::vector<std::string> files;
  std::string plot;
  app.add_option("results", files, "Results files (JSON) of the runs to compare")->required();
  app.add_option("--plot", plot, "Draw the runs' test error per epoch into this PNG (its CSV and gnuplot script "
                                 "beside it)");
  int code = 0;
  if (!parse_command_line(app, argc, argv, code)) return code;
  try {
    require(plot.empty() || (plot.size() > 4 && plot.substr(plot.size() - 4) == ".png"),
            "--plot {}: the plot is a PNG, its name must end in .png", plot);
    std::vector<RunSummary> runs;
    for (const std::string& f : files) runs.push_back(load_run_summary(f));
    fmt::print("{}", report_table(runs));
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
