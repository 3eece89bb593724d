#include "sim/sweep_collect.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "core/error.h"
#include "sim/plot.h"
#include "sim/results.h"
#include "sim/sweep_grid.h"

namespace mortal {
namespace {

bool parse_number(const std::string& s, double& x) {
  if (s.empty()) return false;
  std::istringstream in(s);
  in.imbue(std::locale::classic());
  in >> x;
  return !in.fail() && in.eof();
}

std::string file_name(const std::string& s) {
  std::string out;
  for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ? c : '_';
  while (!out.empty() && (out.front() == '-' || out.front() == '.')) out.erase(0, 1);
  return out;
}


// The x positions of an axis's values: the numbers themselves when all are numbers, else 0, 1, 2, ...
// with the values as tic labels.
struct AxisPositions {
  std::vector<double> x;
  bool numeric = true;
};
AxisPositions positions(const GridAxis& a) {
  AxisPositions p;
  for (const std::string& v : a.values) {
    double x = 0;
    p.numeric = p.numeric && parse_number(v, x);
    p.x.push_back(x);
  }
  if (!p.numeric)
    for (std::size_t i = 0; i < p.x.size(); ++i) p.x[i] = double(i);
  return p;
}

std::string tics(const GridAxis& a, const AxisPositions& p) {
  if (p.numeric) return {};
  std::string t;
  for (std::size_t i = 0; i < a.values.size(); ++i) t += fmt::format("{}{} {}", i ? ", " : "", gnuplot_literal(a.values[i]), i);
  return "(" + t + ")";
}

}  // namespace

nlohmann::json summarise(const SweepSpec& spec, const std::vector<std::string>& header, const std::vector<CsvRow>& rows) {
  const std::vector<std::string> fixed = sweep_fixed_columns(spec);
  std::vector<std::string> metrics;
  for (std::size_t i = fixed.size(); i < header.size(); ++i) {
    bool numeric = false;
    for (const CsvRow& row : rows) {
      auto it = row.find(header[i]);
      if (it == row.end()) continue;
      double x = 0;
      numeric = parse_number(it->second, x);
      if (!numeric) break;
    }
    if (numeric) metrics.push_back(header[i]);
  }
  std::map<int, std::vector<const CsvRow*>> by_point;
  for (const CsvRow& row : rows) by_point[std::stoi(row.at("point"))].push_back(&row);
  nlohmann::json points = nlohmann::json::array();
  for (const auto& [p, runs] : by_point) {
    if (p < 0 || p >= spec.points()) continue;
    nlohmann::json values = nlohmann::json::object();
    const std::vector<std::string> v = spec.point_values(p);
    for (std::size_t i = 0; i < spec.axes.size(); ++i) values[spec.axes[i].path] = v[i];
    int failed = 0;
    for (const CsvRow* r : runs) failed += r->count("status") && r->at("status") != "ok";
    nlohmann::json m = nlohmann::json::object();
    for (const std::string& name : metrics) {
      std::vector<double> xs;
      for (const CsvRow* r : runs) {
        double x = 0;
        if (r->count("status") && r->at("status") == "ok" && r->count(name) && parse_number(r->at(name), x))
          xs.push_back(x);
      }
      if (xs.empty()) continue;
      double mean = 0;
      for (double x : xs) mean += x;
      mean /= double(xs.size());
      double ss = 0;
      for (double x : xs) ss += (x - mean) * (x - mean);
      m[name] = {{"mean", mean},
                 {"std", xs.size() > 1 ? std::sqrt(ss / double(xs.size() - 1)) : 0.0},
                 {"min", *std::min_element(xs.begin(), xs.end())},
                 {"max", *std::max_element(xs.begin(), xs.end())},
                 {"n", xs.size()}};
    }
    points.push_back({{"point", p}, {"values", values}, {"runs", runs.size()}, {"failed", failed}, {"metrics", m}});
  }
  return {{"sweep", spec.identity()}, {"metrics", metrics}, {"points", points}};
}

std::vector<std::string> default_plot_metrics(const nlohmann::json& summary) {
  std::vector<std::string> out;
  for (const auto& m : summary.at("metrics")) {
    const std::string name = m.get<std::string>();
    const std::string last = name.substr(name.rfind('.') + 1);
    if (last.find("error") != std::string::npos && out.size() < 12) out.push_back(name);
  }
  return out;
}

std::vector<std::string> plot_sweep(const SweepSpec& spec, const nlohmann::json& summary,
                                    const std::vector<std::string>& metrics, const std::string& dir) {
  std::filesystem::create_directories(dir + "/plots");
  std::vector<std::string> drawn;
  // point -> (mean, std) of a metric
  auto values_of = [&](const std::string& metric) {
    std::map<int, std::pair<double, double>> v;
    for (const auto& p : summary.at("points"))
      if (p.at("metrics").contains(metric))
        v[p.at("point").get<int>()] = {p["metrics"][metric]["mean"].get<double>(), p["metrics"][metric]["std"].get<double>()};
    return v;
  };
  const int n_points = spec.points();
  for (const std::string& metric : metrics) {
    const auto v = values_of(metric);
    if (v.empty()) continue;
    for (std::size_t a = 0; a < spec.axes.size(); ++a) {
      const GridAxis& axis = spec.axes[a];
      const AxisPositions pos = positions(axis);
      // One line per combination of the other parameters' values (with --zip they move together: one line).
      std::map<std::vector<std::string>, std::vector<int>> lines;
      for (int p = 0; p < n_points; ++p) {
        std::vector<std::string> vals = spec.point_values(p), others;
        for (std::size_t b = 0; b < vals.size(); ++b)
          if (b != a && !spec.zip) others.push_back(spec.axes[b].path + "=" + vals[b]);
        lines[others].push_back(p);
      }
      std::string csv = "line,x,mean,std\n";
      std::string plot;
      int line = 0;
      for (const auto& [others, pts] : lines) {
        std::string title;
        for (const std::string& o : others) title += (title.empty() ? "" : ", ") + o;
        bool any = false;
        for (int p : pts) {
          auto it = v.find(p);
          if (it == v.end()) continue;
          const std::vector<std::string> vals = spec.point_values(p);
          const std::size_t k = std::size_t(std::find(axis.values.begin(), axis.values.end(), vals[a]) - axis.values.begin());
          csv += fmt::format("{},{:.10g},{:.10g},{:.10g}\n", line, pos.x[k], it->second.first, it->second.second);
          any = true;
        }
        if (any)
          plot += fmt::format("{}ARG2 using 2:($1=={} ? $3 : 1/0):4 every ::1 with yerrorlines title {}",
                              plot.empty() ? "" : ", ", line, gnuplot_literal(title.empty() ? metric : title));
        ++line;
      }
      if (plot.empty()) continue;
      const std::string stem = dir + "/plots/" + file_name(metric) + "_vs_" + file_name(axis.path);
      std::string gp = "# gnuplot -c THIS_SCRIPT OUTPUT.png DATA.csv\n";
      gp += "set terminal pngcairo size 900,600 noenhanced\nset output ARG1\nset datafile separator ','\n";
      gp += fmt::format("set title {}\nset xlabel {}\nset ylabel {}\nset grid\nset key below\nset offsets graph 0.05, graph 0.05, 0, 0\n",
                        gnuplot_literal(metric + " (mean and spread over replicas)"), gnuplot_literal(axis.path), gnuplot_literal(metric));
      if (!pos.numeric) gp += "set xtics " + tics(axis, pos) + "\n";
      gp += "plot " + plot + "\n";
      draw_gnuplot(stem, csv, gp);
      drawn.push_back(stem + ".png");
    }
    if (spec.axes.size() == 2 && !spec.zip) {
      const GridAxis &ax = spec.axes[0], &ay = spec.axes[1];
      std::string csv = "x,y,mean\n";
      for (int p = 0; p < n_points; ++p) {
        auto it = v.find(p);
        const int i = p / int(ay.values.size()), j = p % int(ay.values.size());
        csv += fmt::format("{},{},{}\n", i, j, it == v.end() ? std::string("NaN") : fmt::format("{:.10g}", it->second.first));
      }
      auto labels = [&](const GridAxis& g) {
        std::string t;
        for (std::size_t i = 0; i < g.values.size(); ++i) t += fmt::format("{}{} {}", i ? ", " : "", gnuplot_literal(g.values[i]), i);
        return "(" + t + ")";
      };
      const std::string stem = dir + "/plots/" + file_name(metric) + "_map";
      std::string gp = "# gnuplot -c THIS_SCRIPT OUTPUT.png DATA.csv\n";
      gp += "set terminal pngcairo size 900,700 noenhanced\nset output ARG1\nset datafile separator ','\n";
      gp += fmt::format("set title {}\nset xlabel {}\nset ylabel {}\nset cblabel {}\n",
                        gnuplot_literal(metric + " (mean over replicas)"), gnuplot_literal(ax.path), gnuplot_literal(ay.path), gnuplot_literal(metric));
      gp += fmt::format("set xtics {}\nset ytics {}\nset xrange [-0.5:{}]\nset yrange [-0.5:{}]\n", labels(ax), labels(ay),
                        double(ax.values.size()) - 0.5, double(ay.values.size()) - 0.5);
      gp += "set palette rgbformulae 33,13,10\nplot ARG2 using 1:2:3 every ::1 with image notitle\n";
      draw_gnuplot(stem, csv, gp);
      drawn.push_back(stem + ".png");
    }
  }
  return drawn;
}

SweepSpec read_sweep_spec(const std::string& dir) {
  const std::string path = dir + "/sweep.json";
  std::ifstream in(path, std::ios::binary);
  require(bool(in), "{}: cannot read it (is {} a sweep's folder?)", path, dir);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
    SweepSpec spec;
    for (const auto& a : j.at("grid")) spec.axes.push_back({a.at("path").get<std::string>(), a.at("values").get<std::vector<std::string>>()});
    spec.zip = j.at("zip").get<bool>();
    spec.seeds = j.at("seeds").get<int>();
    spec.base_seed = j.at("seed").get<std::uint64_t>();
    spec.scenario = j.at("scenario").get<std::string>();
    spec.scenario_args = j.at("scenario_args").get<std::vector<std::string>>();
    if (j.contains("metrics")) spec.metrics = j["metrics"].get<std::vector<std::string>>();
    spec.validate();
    return spec;
  } catch (const nlohmann::json::exception& e) {
    fail("{}: not a sweep record: {}", path, e.what());
  }
}

namespace {

// The summary of the sweep in `dir` as its results.csv holds it now (read under the table's lock).
nlohmann::json summary_of(const std::string& dir, const SweepSpec& spec) {
  SweepTable table(dir + "/results.csv", sweep_fixed_columns(spec));
  const auto lock = table.lock();
  table.reload();
  return summarise(spec, table.header(), table.rows());
}

}  // namespace

nlohmann::json collect_sweep(const std::string& dir, const std::vector<std::string>& metrics) {
  const SweepSpec spec = read_sweep_spec(dir);
  const nlohmann::json summary = summary_of(dir, spec);
  write_json_atomic(dir + "/summary.json", summary);
  std::vector<std::string> chosen = metrics.empty() ? default_plot_metrics(summary) : metrics;
  for (const std::string& m : chosen)
    require(std::find(summary.at("metrics").begin(), summary.at("metrics").end(), m) != summary.at("metrics").end(),
            "--plot-metric {}: no numeric metric of that name in {}/results.csv", m, dir);
  try {
    const std::vector<std::string> drawn = plot_sweep(spec, summary, chosen, dir);
    fmt::print("sweep: {} plot{} in {}/plots\n", drawn.size(), drawn.size() == 1 ? "" : "s", dir);
  } catch (const Error& e) {
    fmt::print(stderr, "sweep: warning: {}\n", e.what());
  }
  return summary;
}

nlohmann::json tornado(const std::string& dir, const std::vector<std::string>& metrics) {
  std::vector<std::string> properties;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.is_directory() && std::filesystem::exists(entry.path() / "sweep.json"))
      properties.push_back(entry.path().filename().string());
  require(!properties.empty(), "--tornado {}: no sweep in its subfolders (one per property, each with sweep.json)", dir);
  std::sort(properties.begin(), properties.end());
  std::vector<std::string> chosen = metrics;
  nlohmann::json bars = nlohmann::json::array();
  for (const std::string& property : properties) {
    const std::string sub = dir + "/" + property;
    const SweepSpec spec = read_sweep_spec(sub);
    const nlohmann::json summary = summary_of(sub, spec);
    if (chosen.empty()) chosen = default_plot_metrics(summary);
    require(!chosen.empty(), "--tornado: {} has no *error* metric; name one with --plot-metric", sub);
    const int middle = spec.points() / 2;
    for (const std::string& metric : chosen) {
      double low = std::numeric_limits<double>::infinity(), high = -low, centre = std::nan("");
      int n = 0;
      for (const auto& p : summary.at("points")) {
        if (!p.at("metrics").contains(metric)) continue;
        const double mean = p["metrics"][metric]["mean"].get<double>();
        low = std::min(low, mean);
        high = std::max(high, mean);
        if (p.at("point").get<int>() == middle) centre = mean;
        ++n;
      }
      require(n > 0, "--tornado: {} has no value of {} (its results.csv: {}/results.csv)", sub, metric, sub);
      require(!std::isnan(centre), "--tornado: {}: its middle point {} (factor 1) has no successful run", sub, middle);
      bars.push_back({{"property", property},
                      {"metric", metric},
                      {"low", low},
                      {"high", high},
                      {"centre", centre},
                      {"spread", high - low},
                      {"points", n},
                      {"values", spec.axes[0].values},
                      {"path", spec.axes[0].path}});
    }
  }
  // Properties ordered by the first metric's spread, the widest last (drawn on top).
  std::map<std::string, double> spread;
  for (const auto& b : bars)
    if (b["metric"] == chosen[0]) spread[b["property"].get<std::string>()] = b["spread"].get<double>();
  std::stable_sort(properties.begin(), properties.end(),
                   [&](const std::string& a, const std::string& b) { return spread[a] < spread[b]; });
  std::string csv = "property,metric,y,low,high,centre\n", ytics;
  const double width = 0.8 / double(chosen.size());
  for (std::size_t i = 0; i < properties.size(); ++i) {
    ytics += fmt::format("{}{} {}", i ? ", " : "", gnuplot_literal(properties[i]), i);
    for (std::size_t m = 0; m < chosen.size(); ++m)
      for (const auto& b : bars)
        if (b["property"] == properties[i] && b["metric"] == chosen[m])
          csv += fmt::format("{},{},{:.6g},{:.10g},{:.10g},{:.10g}\n", file_name(properties[i]), m,
                             double(i) + 0.4 - width * (double(m) + 0.5), b["low"].get<double>(), b["high"].get<double>(),
                             b["centre"].get<double>());
  }
  std::string gp = "# gnuplot -c THIS_SCRIPT OUTPUT.png DATA.csv\n";
  gp += fmt::format("set terminal pngcairo size 900,{} noenhanced\nset output ARG1\nset datafile separator ','\n",
                    200 + 60 * int(properties.size()));
  gp += fmt::format("set title {}\nset xlabel {}\nset ytics ({})\nset yrange [-0.6:{}]\nset grid xtics\nset key below\n",
                    gnuplot_literal("Spread of the mean over each property's factors (| : factor 1)"),
                    gnuplot_literal(chosen.size() == 1 ? chosen[0] : std::string("error")), ytics,
                    double(properties.size()) - 0.4);
  gp += "set style fill solid 0.5 border -1\nplot ";
  for (std::size_t m = 0; m < chosen.size(); ++m)
    gp += fmt::format("{}ARG2 using (($4+$5)/2):($2=={} ? $3 : 1/0):4:5:($3-{:.4g}):($3+{:.4g}) every ::1 with boxxyerror "
                      "lc {} title {}, ARG2 using 6:($2=={} ? $3-{:.4g} : 1/0):(0):({:.4g}) every ::1 with vectors nohead "
                      "lw 2 lc rgb 'black' notitle",
                      m ? ", " : "", m, width * 0.45, width * 0.45, m + 1, gnuplot_literal(chosen[m]), m, width * 0.45,
                      width * 0.9);
  gp += "\n";
  const nlohmann::json out = {{"metrics", chosen}, {"order", properties}, {"bars", bars}};
  write_json_atomic(dir + "/tornado.json", out);
  draw_gnuplot(dir + "/tornado", csv, gp);
  return out;
}

}  // namespace mortal
