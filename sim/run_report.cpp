#include "sim/run_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/error.h"
#include "core/input_file.h"
#include "sim/learning_curve.h"
#include "sim/resume.h"

namespace mortal {
namespace {

// A results file is a few megabytes at most (an in-situ run's ledger and hardware record).
constexpr std::size_t kMaxResultsBytes = std::size_t(1) << 28;

std::string percent(const std::optional<double>& fraction) {
  return fraction ? fmt::format("{:.2f}%", 100 * *fraction) : "-";
}

std::string duration(const std::optional<double>& s) {
  if (!s) return "-";
  if (*s < 120) return fmt::format("{:.1f} s", *s);
  if (*s < 7200) return fmt::format("{:.1f} min", *s / 60);
  return fmt::format("{:.2f} h", *s / 3600);
}

std::optional<double> number_at(const nlohmann::json& j, const nlohmann::json::json_pointer& at) {
  if (!j.contains(at) || !j.at(at).is_number()) return std::nullopt;
  return j.at(at).get<double>();
}

// `rows` (the first the header) in columns aligned for a terminal: the first `text_columns` left-aligned, the
// figures after them right-aligned, a rule under the header.
std::string aligned(const std::vector<std::vector<std::string>>& rows, std::size_t text_columns) {
  std::vector<std::size_t> width(rows[0].size(), 0);
  for (const auto& row : rows)
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  std::string out;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    std::string line;
    for (std::size_t c = 0; c < rows[i].size(); ++c)
      line += c < text_columns ? fmt::format("{:<{}}  ", rows[i][c], width[c])
                               : fmt::format("{:>{}}  ", rows[i][c], width[c]);
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + "\n";
    if (i == 0) {
      std::string rule;
      for (std::size_t c = 0; c < width.size(); ++c) rule += std::string(width[c], '-') + "  ";
      rule.erase(rule.find_last_not_of(' ') + 1);
      out += rule + "\n";
    }
  }
  return out;
}

// The mean and standard error of the figures the runs recorded.
SeedSpread spread_of(const std::vector<std::optional<double>>& figures) {
  SeedSpread s;
  double sum = 0;
  for (const auto& f : figures)
    if (f) sum += *f, ++s.n;
  if (s.n == 0) return s;
  s.mean = sum / s.n;
  if (s.n < 2) return s;
  double ss = 0;
  for (const auto& f : figures)
    if (f) ss += (*f - *s.mean) * (*f - *s.mean);
  s.standard_error = std::sqrt(ss / (s.n - 1) / s.n);
  return s;
}

std::string spread_text(const SeedSpread& s) {
  if (!s.mean) return "-";
  return s.standard_error ? fmt::format("{:.2f}% +- {:.2f}", 100 * *s.mean, 100 * *s.standard_error)
                          : percent(s.mean);
}

// Whether two runs' settings (RunSummary::settings) are one: the same binary and data, the same options, each
// of the same value (same_setting: a list as an array or as comma-separated text).
bool same_settings(const nlohmann::json& a, const nlohmann::json& b) {
  if (a["scenario"] != b["scenario"] || a["data"] != b["data"] || a["config"].size() != b["config"].size())
    return false;
  for (const auto& [key, value] : a["config"].items())
    if (!b["config"].contains(key) || !same_setting(value, b["config"][key])) return false;
  return true;
}

}  // namespace

RunSummary summarise_run(const std::string& file, const nlohmann::json& record) {
  require(record.is_object() && record.contains("scenario") && record["scenario"].is_string() &&
              record.contains("metrics") && record["metrics"].is_object(),
          "{}: not a run's results (a mortal results file has 'scenario' and 'metrics')", file);
  RunSummary r;
  r.file = file;
  r.scenario = record["scenario"].get<std::string>();
  r.status = record.value("status", std::string("finished"));
  const nlohmann::json& m = record["metrics"];
  const nlohmann::json config = record.value("config", nlohmann::json::object());
  require(config.is_object(), "{}: 'config' is {}, not the run's settings (an object)", file, config.dump());
  r.device = m.contains("device") && m["device"].is_string() ? m["device"].get<std::string>() : "digital";
  if (config.contains("layers") && config["layers"].is_array() && !config["layers"].empty()) {
    r.layers.clear();
    for (const nlohmann::json& l : config["layers"]) r.layers += (r.layers.empty() ? "" : "-") + l.dump();
  } else {
    r.layers = "-";
  }
  r.test_error = number_at(m, "/test_error"_json_pointer);
  r.train_error = number_at(m, "/train_error"_json_pointer);
  // ff_mnist records one held-out error per prediction, bp_mnist and linear_mnist one (NaN without a split).
  if (number_at(m, "/validation_examples"_json_pointer).value_or(0) > 0) {
    const std::string reported = m.value("prediction", std::string());
    if (m.contains("validation_errors") && m["validation_errors"].is_object() && !reported.empty())
      r.held_out_error = number_at(m["validation_errors"], nlohmann::json::json_pointer("/" + reported));
    else if (const auto e = number_at(m, "/validation_error"_json_pointer); e && std::isfinite(*e))
      r.held_out_error = e;
  }
  r.chosen_test_error = number_at(m, "/selected_by_validation/test_error"_json_pointer);
  r.chosen_held_out_error = number_at(m, "/selected_by_validation/validation_error"_json_pointer);
  if (const auto epoch = number_at(m, "/selected_by_validation/epoch"_json_pointer); epoch && r.chosen_test_error)
    r.chosen_epoch = int(*epoch);
  r.energy_pj_per_image = number_at(m, "/energy_training_pj_per_image"_json_pointer);
  r.wall_s = number_at(m, "/timing_s/total"_json_pointer);

  // The test-error curve of the prediction the run reports (FF records one per prediction).
  const LearningCurve curve = learning_curve(m);
  const std::string prediction = m.value("prediction", std::string());
  for (const Series& s : curve.errors)
    if (s.title == "test error" || s.title == "test error (" + prediction + ")" ||
        (prediction.empty() && r.test_curve.x.empty() && s.title.rfind("test error (", 0) == 0))
      r.test_curve = s;
  r.test_curve.title = std::filesystem::path(file).filename().string();
  for (double y : r.test_curve.y)
    r.best_test_error = std::min(r.best_test_error.value_or(y / 100), y / 100);
  if (r.test_error) r.best_test_error = std::min(r.best_test_error.value_or(*r.test_error), *r.test_error);
  if (m.contains("curve") && m["curve"].is_array())
    for (const nlohmann::json& e : m["curve"])
      if (e.is_object() && e.contains("epoch") && e["epoch"].is_number_integer())
        r.epochs = std::max(r.epochs, e["epoch"].get<int>());
  if (record.contains("seed") && record["seed"].is_number_unsigned()) r.seed = record["seed"].get<std::uint64_t>();
  r.settings = {{"scenario", r.scenario}, {"data", record.value("data", nlohmann::json())}, {"config", config}};
  r.settings["config"].erase("seed");
  for (const std::string& key : run_place_keys()) r.settings["config"].erase(key);
  require(r.test_error || !r.test_curve.x.empty(),
          "{}: the results of a {} run record no test error to compare (mortal_report compares runs that learn "
          "MNIST: ff_mnist, bp_mnist, linear_mnist)", file, r.scenario);
  return r;
}

nlohmann::json read_results_file(const std::string& path) {
  const std::vector<std::uint8_t> bytes = read_input_file(path, "results file", kMaxResultsBytes);
  nlohmann::json j = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
  require(!j.is_discarded(), "{}: not JSON (a mortal results file is one JSON object)", path);
  return j;
}

RunSummary load_run_summary(const std::string& path) { return summarise_run(path, read_results_file(path)); }

std::string report_table(const std::vector<RunSummary>& runs) {
  std::vector<std::vector<std::string>> rows = {
      {"run", "binary", "device", "layers", "epochs", "test error", "train error", "held out", "by validation",
       "best test error", "energy/image", "wall time"}};
  for (const RunSummary& r : runs) {
    const std::string status = r.status == "finished" ? "" : " (" + r.status + ")";
    // The test error of the epoch held-out images chose, which, and their error there: "1.52% (epoch 55, held
    // out 1.40%)".
    const std::string chosen =
        r.chosen_epoch ? fmt::format("{} (epoch {}{})", percent(r.chosen_test_error), *r.chosen_epoch,
                                     r.chosen_held_out_error ? ", held out " + percent(r.chosen_held_out_error) : "")
                       : "-";
    rows.push_back({r.file, r.scenario + status, r.device, r.layers, r.epochs ? std::to_string(r.epochs) : "-",
                    percent(r.test_error), percent(r.train_error), percent(r.held_out_error), chosen,
                    percent(r.best_test_error),
                    r.energy_pj_per_image ? fmt::format("{:.3g} uJ", *r.energy_pj_per_image * 1e-6) : "-",
                    duration(r.wall_s)});
  }
  return aligned(rows, 4);
}

std::vector<SeedGroup> seed_groups(const std::vector<RunSummary>& runs) {
  std::vector<std::vector<const RunSummary*>> members;
  for (const RunSummary& r : runs) {
    auto g = std::find_if(members.begin(), members.end(), [&](const auto& m) { return same_settings(m[0]->settings, r.settings); });
    if (g == members.end()) members.push_back({&r});
    else g->push_back(&r);
  }
  // A group's label: its binary and layers, and every config entry in which the groups differ.
  std::vector<std::string> differing;
  for (const auto& m : members)
    for (const auto& [key, value] : m[0]->settings["config"].items()) {
      // A key only some binaries have is told apart by the binary's name.
      const auto has = [&key = key](const auto& other) { return other[0]->settings["config"].contains(key); };
      const auto same = [&key = key, &value = value](const auto& other) {
        return same_setting(other[0]->settings["config"][key], value);
      };
      if (key != "layers" && std::find(differing.begin(), differing.end(), key) == differing.end() &&
          std::all_of(members.begin(), members.end(), has) && !std::all_of(members.begin(), members.end(), same))
        differing.push_back(key);
    }
  std::sort(differing.begin(), differing.end());
  std::vector<SeedGroup> groups;
  for (const auto& m : members) {
    SeedGroup g;
    const nlohmann::json& config = m[0]->settings["config"];
    g.label = m[0]->scenario + " " + m[0]->layers;
    for (const std::string& key : differing)
      g.label += " " + key + "=" + setting_text(config[key]);
    if (m[0]->settings["data"] != members[0][0]->settings["data"]) g.label += " (other data)";
    std::vector<std::optional<double>> test, train, held_out, chosen;
    for (const RunSummary* r : m) {
      g.files.push_back(r->file);
      if (r->seed) g.seeds.push_back(*r->seed);
      g.unfinished += r->status != "finished";
      test.push_back(r->test_error);
      train.push_back(r->train_error);
      held_out.push_back(r->held_out_error);
      chosen.push_back(r->chosen_test_error);
    }
    g.test_error = spread_of(test);
    g.train_error = spread_of(train);
    g.held_out_error = spread_of(held_out);
    g.chosen_test_error = spread_of(chosen);
    groups.push_back(std::move(g));
  }
  return groups;
}

std::string seed_group_table(const std::vector<SeedGroup>& groups) {
  std::vector<std::vector<std::string>> rows = {
      {"settings", "seeds", "runs", "test error", "train error", "held out", "by validation"}};
  for (const SeedGroup& g : groups) {
    std::string seeds;
    for (std::uint64_t s : g.seeds) seeds += (seeds.empty() ? "" : ",") + std::to_string(s);
    const std::string runs = g.unfinished ? fmt::format("{} ({} unfinished)", g.files.size(), g.unfinished)
                                          : std::to_string(g.files.size());
    rows.push_back({g.label, seeds.empty() ? "-" : seeds, runs, spread_text(g.test_error),
                    spread_text(g.train_error), spread_text(g.held_out_error), spread_text(g.chosen_test_error)});
  }
  return aligned(rows, 2);
}

void plot_test_curves(const std::string& stem, const std::vector<RunSummary>& runs) {
  std::vector<Series> series;
  for (const RunSummary& r : runs)
    if (!r.test_curve.x.empty()) series.push_back(r.test_curve);
  require(!series.empty(), "plot {}.png: none of the runs recorded a test error per epoch", stem);
  plot_png(stem, {"Test error per epoch", "epoch", "test error (%)", false, false, {}}, series);
}

}  // namespace mortal
