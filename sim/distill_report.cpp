#include "sim/distill_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "core/error.h"

namespace mortal {

DistillAxis parse_distill_axis(const std::string& name) {
  if (name == "perturb") return DistillAxis::perturb;
  if (name == "transfer") return DistillAxis::transfer;
  if (name == "generation") return DistillAxis::generation;
  fail("distill-by must be perturb, transfer or generation, got '{}'", name);
}

std::string axis_label(DistillAxis axis) {
  switch (axis) {
    case DistillAxis::perturb: return "the student's variability s";
    case DistillAxis::transfer: return "transfer images";
    case DistillAxis::generation: return "generation";
  }
  return "";
}

namespace {

double number(const std::string& file, const nlohmann::json& v, const std::string& field) {
  require(v.is_number() && std::isfinite(v.get<double>()), "{}: {} is {}, not a number", file, field, v.dump());
  return v.get<double>();
}

const nlohmann::json& member(const std::string& file, const nlohmann::json& o, const char* key,
                             const std::string& where) {
  require(o.is_object() && o.contains(key), "{}: {} has no '{}'", file, where, key);
  return o.at(key);
}

}  // namespace

DistillReport distill_report(const std::vector<std::pair<std::string, nlohmann::json>>& runs, DistillAxis axis) {
  require(!runs.empty(), "distill report: no results files");
  DistillReport r;
  r.axis = axis;
  r.teacher.title = "teacher";
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const auto& [file, record] = runs[i];
    require(record.is_object() && record.value("scenario", "") == "mortal_distill",
            "{}: not the results of a mortal_distill run (scenario '{}')", file,
            record.is_object() ? record.value("scenario", "") : "");
    const nlohmann::json& metrics = member(file, record, "metrics", "the record");
    require(metrics.value("status", "finished") == "finished" && metrics.contains("methods"),
            "{}: the run has not finished (no methods measured yet)", file);
    const nlohmann::json& config = member(file, record, "config", "the record");
    double x = 0;
    switch (axis) {
      case DistillAxis::perturb: x = number(file, member(file, config, "perturb", "config"), "config.perturb"); break;
      case DistillAxis::transfer:
        x = number(file, member(file, member(file, metrics, "transfer", "metrics"), "images", "metrics.transfer"),
                   "metrics.transfer.images");
        break;
      case DistillAxis::generation: x = static_cast<double>(i + 1); break;
    }
    const double teacher =
        number(file, member(file, metrics, "teacher_test_error", "metrics"), "metrics.teacher_test_error");
    r.teacher.x.push_back(axis == DistillAxis::generation ? x - 1 : x);
    r.teacher.y.push_back(100 * teacher);
    for (const nlohmann::json& m : member(file, metrics, "methods", "metrics")) {
      const std::string name = member(file, m, "method", "a method's entry").get<std::string>();
      auto it = std::find_if(r.methods.begin(), r.methods.end(), [&](const Series& s) { return s.title == name; });
      if (it == r.methods.end()) {
        r.methods.push_back({name, {}, {}});
        it = r.methods.end() - 1;
      }
      it->x.push_back(x);
      it->y.push_back(100 * number(file, member(file, m, "test_error", "method " + name), "test_error of " + name));
    }
  }
  // Each line in the order of its x.
  const auto by_x = [](Series& s) {
    std::vector<std::size_t> order(s.x.size());
    for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return s.x[a] < s.x[b]; });
    Series sorted{s.title, {}, {}};
    for (std::size_t k : order) {
      sorted.x.push_back(s.x[k]);
      sorted.y.push_back(s.y[k]);
    }
    s = sorted;
  };
  by_x(r.teacher);
  for (Series& m : r.methods) by_x(m);
  return r;
}

std::string distill_table(const DistillReport& r) {
  std::set<double> xs(r.teacher.x.begin(), r.teacher.x.end());
  for (const Series& m : r.methods) xs.insert(m.x.begin(), m.x.end());
  const auto at = [](const Series& s, double x) {
    std::string out;
    for (std::size_t k = 0; k < s.x.size(); ++k)
      if (s.x[k] == x) out += (out.empty() ? "" : " ") + fmt::format("{:.2f}%", s.y[k]);
    return out.empty() ? std::string("-") : out;
  };
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> head = {axis_label(r.axis), "teacher"};
  for (const Series& m : r.methods) head.push_back(m.title);
  rows.push_back(head);
  for (double x : xs) {
    std::vector<std::string> row = {fmt::format("{:g}", x), at(r.teacher, x)};
    for (const Series& m : r.methods) row.push_back(at(m, x));
    rows.push_back(row);
  }
  std::vector<std::size_t> width(head.size(), 0);
  for (const auto& row : rows)
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) line += fmt::format("{:>{}}  ", row[c], width[c]);
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + "\n";
  }
  return out;
}

void plot_distill(const std::string& stem, const DistillReport& r) {
  std::vector<Series> series = r.methods;
  series.push_back(r.teacher);
  const std::string title = r.axis == DistillAxis::generation ? "Student error by generation"
                            : r.axis == DistillAxis::transfer ? "Student error against the transfer set's size"
                                                              : "Student error against the student's variability";
  plot_png(stem, {title, axis_label(r.axis), "test error (%)", r.axis == DistillAxis::transfer, false, {}}, series);
}

}  // namespace mortal
