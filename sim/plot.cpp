#include "sim/plot.h"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>

#include "core/error.h"
#include "sim/results.h"

namespace mortal {
namespace {

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) out += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  return out + "\"";
}

}  // namespace

void plot_png(const std::string& stem, const PlotSpec& spec, const std::vector<Series>& series) {
  require(!series.empty(), "plot {}: no series to draw", stem);
  std::string csv = "series,x,y\n";
  for (std::size_t s = 0; s < series.size(); ++s) {
    require(series[s].x.size() == series[s].y.size(), "plot {}: series '{}' has {} x values but {} y values",
            stem, series[s].title, series[s].x.size(), series[s].y.size());
    for (std::size_t i = 0; i < series[s].x.size(); ++i)
      csv += fmt::format("{},{:.10g},{:.10g}\n", s, series[s].x[i], series[s].y[i]);
  }
  write_text_atomic(stem + ".csv", csv);

  const std::string png_tmp = stem + ".png.tmp";
  std::string gp = fmt::format("set terminal pngcairo size 900,600 noenhanced\nset output {}\n", quote(png_tmp));
  gp += fmt::format("set title {}\nset xlabel {}\nset ylabel {}\nset grid\nset key below\n",
                    quote(spec.title), quote(spec.xlabel), quote(spec.ylabel));
  gp += "set datafile separator ','\n";
  if (spec.log_x) gp += "set logscale x\n";
  if (spec.log_y) gp += "set logscale y\n";
  if (!spec.xtic_labels.empty()) {
    std::string tics;
    for (std::size_t i = 0; i < spec.xtic_labels.size() && i < series[0].x.size(); ++i)
      tics += fmt::format("{}{} {:.10g}", i ? ", " : "", quote(spec.xtic_labels[i]), series[0].x[i]);
    gp += "set xtics (" + tics + ")\n";
  }
  gp += "plot ";
  for (std::size_t s = 0; s < series.size(); ++s)
    gp += fmt::format("{}{} using 2:($1=={} ? $3 : 1/0) every ::1 with linespoints title {}", s ? ", " : "",
                      quote(stem + ".csv"), s, quote(series[s].title));
  gp += "\n";
  write_text_atomic(stem + ".gp", gp);

  const std::string cmd = fmt::format("gnuplot {} 2>&1", quote(stem + ".gp"));
  const int rc = std::system(cmd.c_str());
  std::error_code ec;
  if (rc != 0 || !std::filesystem::exists(png_tmp)) {
    std::filesystem::remove(png_tmp, ec);
    fail("plot {}: gnuplot failed (exit status {}); is gnuplot installed (scripts/setup.sh)?", stem, rc);
  }
  std::filesystem::rename(png_tmp, stem + ".png", ec);
  require(!ec, "plot {}: cannot rename the PNG into place: {}", stem, ec.message());
}

}  // namespace mortal
