#include "sim/plot.h"

#include <fmt/format.h>

#include <filesystem>

#include "core/error.h"
#include "sim/process.h"
#include "sim/results.h"

namespace mortal {

// Single quotes: inside double quotes gnuplot runs `backquoted` text as a shell command, inside single
// quotes nothing is substituted and '' stands for one quote.
std::string gnuplot_literal(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

ProcessResult run_gnuplot(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"gnuplot"};
  argv.insert(argv.end(), args.begin(), args.end());
  // Both streams in one capture, so nothing of gnuplot's lands on this program's stdout.
  ProcessOptions options;
  options.merge_output = true;
  return run_process(argv, options);
}

void draw_gnuplot(const std::string& stem, const std::string& csv, const std::string& gp) {
  write_text_atomic(stem + ".csv", csv);
  write_text_atomic(stem + ".gp", gp);
  const std::string png_tmp = stem + ".png.tmp";
  const ProcessResult run = run_gnuplot({"-c", stem + ".gp", png_tmp, stem + ".csv"});
  std::error_code ec;
  if (!run.started) {
    std::filesystem::remove(png_tmp, ec);
    fail("plot {}.png: cannot run gnuplot ({}); install it with scripts/setup.sh (package gnuplot-nox)", stem,
         run.error);
  }
  if (!run.ok() || !std::filesystem::exists(png_tmp)) {
    std::filesystem::remove(png_tmp, ec);
    fail("plot {}.png: gnuplot {}{}", stem, run.describe(), run.out.empty() ? std::string() : ": " + tail_lines(run.out, 5));
  }
  // gnuplot's warnings are diagnostics: they go to stderr, never into a program's standard output.
  if (!run.out.empty()) fmt::print(stderr, "plot {}.png: gnuplot says: {}\n", stem, tail_lines(run.out, 5));
  std::filesystem::rename(png_tmp, stem + ".png", ec);
  require(!ec, "plot {}: cannot rename the PNG into place: {}", stem, ec.message());
}

void plot_png(const std::string& stem, const PlotSpec& spec, const std::vector<Series>& series) {
  require(!series.empty(), "plot {}: no series to draw", stem);
  std::string csv = "series,x,y\n";
  for (std::size_t s = 0; s < series.size(); ++s) {
    require(series[s].x.size() == series[s].y.size(), "plot {}: series '{}' has {} x values but {} y values",
            stem, series[s].title, series[s].x.size(), series[s].y.size());
    for (std::size_t i = 0; i < series[s].x.size(); ++i)
      csv += fmt::format("{},{:.10g},{:.10g}\n", s, series[s].x[i], series[s].y[i]);
  }
  // The script names no file (draw_gnuplot passes them as ARG1 and ARG2).
  std::string gp = "# gnuplot -c THIS_SCRIPT OUTPUT.png DATA.csv\n";
  gp += "set terminal pngcairo size 900,600 noenhanced\nset output ARG1\n";
  gp += fmt::format("set title {}\nset xlabel {}\nset ylabel {}\nset grid\nset key below\n", gnuplot_literal(spec.title),
                    gnuplot_literal(spec.xlabel), gnuplot_literal(spec.ylabel));
  gp += "set datafile separator ','\n";
  if (spec.log_x) gp += "set logscale x\n";
  if (spec.log_y) gp += "set logscale y\n";
  if (!spec.xtic_labels.empty()) {
    std::string tics;
    for (std::size_t i = 0; i < spec.xtic_labels.size() && i < series[0].x.size(); ++i)
      tics += fmt::format("{}{} {:.10g}", i ? ", " : "", gnuplot_literal(spec.xtic_labels[i]), series[0].x[i]);
    gp += "set xtics (" + tics + ")\n";
  }
  gp += "plot ";
  for (std::size_t s = 0; s < series.size(); ++s)
    gp += fmt::format("{}ARG2 using 2:($1=={} ? $3 : 1/0) every ::1 with linespoints title {}", s ? ", " : "", s,
                      gnuplot_literal(series[s].title));
  gp += "\n";
  draw_gnuplot(stem, csv, gp);
}

}  // namespace mortal
