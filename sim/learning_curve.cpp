#include "sim/learning_curve.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "core/error.h"
#include "sim/resume.h"

namespace mortal {
namespace {

// A finite number at `key` of `e`, or nothing (absent, null, or NaN, which JSON records as null).
bool number_at(const nlohmann::json& e, const char* key, double& value) {
  if (!e.contains(key) || !e.at(key).is_number()) return false;
  value = e.at(key).get<double>();
  return std::isfinite(value);
}

// The series called `title` in `all`, added when new.
Series& series_named(std::vector<Series>& all, const std::string& title) {
  for (Series& s : all)
    if (s.title == title) return s;
  all.push_back({title, {}, {}});
  return all.back();
}

void add_point(std::vector<Series>& all, const std::string& title, double x, double y) {
  Series& s = series_named(all, title);
  s.x.push_back(x);
  s.y.push_back(y);
}

struct Panel {
  std::string title, ylabel;
  const std::vector<Series>* series;
};

}  // namespace

LearningCurve learning_curve(const nlohmann::json& metrics) {
  LearningCurve c;
  if (!metrics.is_object() || !metrics.contains("curve") || !metrics.at("curve").is_array()) return c;
  for (const nlohmann::json& e : metrics.at("curve")) {
    double epoch = 0;
    // Entries without an epoch (the softmax read-out's own epochs after FF) are not on this curve.
    if (!e.is_object() || !number_at(e, "epoch", epoch)) continue;
    double v = 0;
    if (number_at(e, "train_error", v)) add_point(c.errors, "train error", epoch, 100 * v);
    // FF: one train and one validation error per prediction, as its test errors below.
    for (const auto& [key, title] : {std::pair{"train_error", "train error"}, std::pair{"validation_error",
                                                                                        "validation error"}})
      if (e.contains(key) && e.at(key).is_object())
        for (const auto& [how, err] : e.at(key).items())
          if (err.is_number() && std::isfinite(err.get<double>()))
            add_point(c.errors, fmt::format("{} ({})", title, how), epoch, 100 * err.get<double>());
    // BP's error on the batches as they were trained, not on the whole training set after the epoch.
    if (number_at(e, "train_batch_error", v)) add_point(c.errors, "train error (during the epoch)", epoch, 100 * v);
    if (number_at(e, "validation_error", v)) add_point(c.errors, "validation error", epoch, 100 * v);
    if (e.contains("test_error")) {
      const nlohmann::json& t = e.at("test_error");
      if (t.is_number() && number_at(e, "test_error", v)) add_point(c.errors, "test error", epoch, 100 * v);
      // FF: one test error per prediction (goodness over label overlays, softmax read-out).
      if (t.is_object())
        for (const auto& [how, err] : t.items())
          if (err.is_number() && std::isfinite(err.get<double>()))
            add_point(c.errors, fmt::format("test error ({})", how), epoch, 100 * err.get<double>());
    }
    if (e.contains("layers") && e.at("layers").is_array()) {
      // A greedy FF run records one layer per entry, named by "layer" (from 0).
      const int first = e.contains("layer") && e.at("layer").is_number_integer() ? e.at("layer").get<int>() : 0;
      const nlohmann::json& layers = e.at("layers");
      for (std::size_t l = 0; l < layers.size(); ++l) {
        const int layer = first + static_cast<int>(l) + 1;
        for (const auto& [key, data] : {std::pair{"goodness_pos", "positive"}, std::pair{"goodness_neg", "negative"}})
          if (number_at(layers[l], key, v)) add_point(c.goodness, fmt::format("layer {} {}", layer, data), epoch, v);
      }
    }
  }
  return c;
}

std::string curve_plot_stem(const std::string& out) { return results_stem(out) + "_curve"; }

void plot_learning_curve(const std::string& stem, const std::string& title, const LearningCurve& curve) {
  std::vector<Panel> panels;
  if (!curve.errors.empty()) panels.push_back({"Error per epoch", "error (%)", &curve.errors});
  if (!curve.goodness.empty())
    panels.push_back({"Goodness per layer (solid: positive data, dashed: negative)", "mean goodness per image",
                      &curve.goodness});
  require(!panels.empty(), "plot {}.png: the run recorded no learning curve", stem);
  std::string csv = "panel,series,epoch,value\n";
  double last_epoch = 1;
  for (std::size_t p = 0; p < panels.size(); ++p)
    for (std::size_t s = 0; s < panels[p].series->size(); ++s) {
      const Series& ser = (*panels[p].series)[s];
      for (std::size_t i = 0; i < ser.x.size(); ++i) {
        csv += fmt::format("{},{},{:.10g},{:.10g}\n", p, s, ser.x[i], ser.y[i]);
        last_epoch = std::max(last_epoch, ser.x[i]);
      }
    }
  // The script names no file (draw_gnuplot passes them as ARG1 and ARG2).
  std::string gp = "# gnuplot -c THIS_SCRIPT OUTPUT.png DATA.csv\n";
  gp += fmt::format("set terminal pngcairo size 900,{} noenhanced\nset output ARG1\n", 450 * panels.size() + 50);
  gp += "set datafile separator ','\nset grid\nset key outside right\nset xlabel 'epoch'\n";
  // The panels' plot areas aligned, whatever the width of their keys.
  gp += "set lmargin at screen 0.1\nset rmargin at screen 0.72\n";
  // From 0: a run of one epoch still has an x range.
  gp += fmt::format("set xrange [0:{:.10g}]\n", last_epoch);
  gp += fmt::format("set multiplot layout {},1 title {}\n", panels.size(), gnuplot_literal(title));
  for (std::size_t p = 0; p < panels.size(); ++p) {
    gp += fmt::format("set title {}\nset ylabel {}\nplot ", gnuplot_literal(panels[p].title),
                      gnuplot_literal(panels[p].ylabel));
    const std::vector<Series>& all = *panels[p].series;
    const bool goodness = panels[p].series == &curve.goodness;
    for (std::size_t s = 0; s < all.size(); ++s) {
      // Goodness: one colour per layer, positive data solid, negative dashed.
      const std::string style = goodness ? fmt::format(" lc {} dt {}", s / 2 + 1, s % 2 ? 2 : 1) : std::string();
      gp += fmt::format("{}ARG2 using 3:(($1=={} && $2=={}) ? $4 : 1/0) every ::1 with linespoints{} title {}",
                        s ? ", " : "", p, s, style, gnuplot_literal(all[s].title));
    }
    gp += "\n";
  }
  gp += "unset multiplot\n";
  draw_gnuplot(stem, csv, gp);
}

void add_curve_plot(nlohmann::json& result, const std::string& out) {
  const std::string stem = curve_plot_stem(out);
  const nlohmann::json& m = result.contains("metrics") ? result["metrics"] : nlohmann::json();
  const LearningCurve curve = learning_curve(m);
  if (curve.errors.empty() && curve.goodness.empty()) {
    // Nothing per epoch to draw (a --layers-from run fits its read-out only): said in the record, no warning.
    result["curve_plot"] = "";
    result["curve_plot_error"] = "the run recorded no learning curve";
    return;
  }
  const std::string device =
      m.is_object() && m.contains("device") ? m["device"].get<std::string>() + " chip" : "digital";
  const std::string title = fmt::format("{}: {}, seed {}", result.value("scenario", std::string("run")), device,
                                        result.contains("seed") ? result["seed"].dump() : "?");
  try {
    plot_learning_curve(stem, title, curve);
    result["curve_plot"] = stem + ".png";
    result["curve_plot_error"] = "";
  } catch (const Error& e) {
    fmt::print(stderr, "warning: no learning-curve plot: {}\n", e.what());
    result["curve_plot"] = "";
    result["curve_plot_error"] = e.what();
  }
}

}  // namespace mortal
