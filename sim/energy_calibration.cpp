#include "sim/energy_calibration.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "core/error.h"
#include "sim/energy_models.h"

namespace mortal {

namespace {

const std::vector<std::string>& workload_keys() {
  static const std::vector<std::string> keys = {"cores",           "rows",
                                                "cols",            "devices_per_weight",
                                                "input_window_ns", "mean_input_fraction",
                                                "post_mult_add_per_output", "sram_bytes_per_value"};
  return keys;
}

}  // namespace

double CalibrationChip::workload_value(const std::string& key) const {
  const auto it = workload.find(key);
  require(it != workload.end(), "calibration {}: workload.{} is missing", path, key);
  return it->second.value;
}

CalibrationChip read_calibration(const std::string& path) { return calibration_from_json(read_toml_file(path), path); }

CalibrationChip calibration_from_json(const nlohmann::json& j, const std::string& path) {
  require(j.is_object(), "calibration {}: expected a table", path);
  CalibrationChip c;
  c.path = path;
  c.name = std::filesystem::path(path).stem().string();
  for (const auto& [k, v] : j.items())
    require(k == "title" || k == "workload" || k == "mode", "calibration {}: unknown field \"{}\" (known: title, "
            "workload, mode)", path, k);
  require(j.contains("title") && j["title"].is_string(), "calibration {}: needs a title", path);
  c.title = j["title"].get<std::string>();
  require(j.contains("workload") && j["workload"].is_object(), "calibration {}: needs a [workload] table", path);
  for (const auto& [k, v] : j["workload"].items()) {
    require(std::find(workload_keys().begin(), workload_keys().end(), k) != workload_keys().end(),
            "calibration {}: unknown workload.{} (known: {})", path, k, fmt::join(workload_keys(), ", "));
    c.workload[k] = constant_from_json(v, fmt::format("calibration {}: workload.{}", path, k));
    c.workload[k].origin = path;
  }
  for (const std::string& k : workload_keys())
    require(c.workload.count(k) > 0, "calibration {}: workload.{} is missing", path, k);
  for (const char* k : {"rows", "cols", "devices_per_weight", "input_window_ns"})
    require(c.workload[k].value > 0, "calibration {}: workload.{} must be positive", path, k);
  require(j.contains("mode") && j["mode"].is_array() && !j["mode"].empty(), "calibration {}: needs [[mode]] entries",
          path);
  std::set<std::string> names;
  for (const auto& m : j["mode"]) {
    require(m.is_object() && m.contains("name") && m["name"].is_string(), "calibration {}: a mode needs a name", path);
    CalibrationMode mode;
    mode.name = m["name"].get<std::string>();
    const std::string where = fmt::format("calibration {}: mode {}", path, mode.name);
    require(names.insert(mode.name).second, "{}: given twice", where);
    for (const auto& [k, v] : m.items())
      require(k == "name" || k == "phases" || k == "published_tops_per_w" || k == "fit",
              "{}: unknown field \"{}\" (known: name, phases, published_tops_per_w, fit)", where, k);
    require(m.contains("phases") && m.contains("published_tops_per_w") && m.contains("fit"),
            "{}: needs phases, published_tops_per_w and fit", where);
    mode.phases = constant_from_json(m["phases"], where + ": phases").value;
    require(mode.phases >= 1, "{}: phases must be at least 1, got {}", where, mode.phases);
    const EnergyConstant pub = constant_from_json(m["published_tops_per_w"], where + ": published_tops_per_w");
    require(pub.unit == "TOPS/W" && pub.value > 0, "{}: published_tops_per_w must be a positive TOPS/W", where);
    mode.published_tops_per_w = pub.value;
    mode.published_source = pub.source;
    require(m["fit"].is_boolean(), "{}: fit must be true or false", where);
    mode.fit = m["fit"].get<bool>();
    c.modes.push_back(mode);
  }
  return c;
}

std::vector<CalibrationChip> read_calibrations(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  require(fs::is_directory(dir, ec), "calibrations: {} is not a folder", dir);
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file() && e.path().extension() == ".toml") files.push_back(e.path().string());
  require(!ec, "calibrations: cannot list {}: {}", dir, ec.message());
  std::sort(files.begin(), files.end());
  std::vector<CalibrationChip> chips;
  for (const std::string& f : files) chips.push_back(read_calibration(f));
  require(!chips.empty(), "calibrations: no *.toml file in {}", dir);
  return chips;
}

double operations_per_product(const CalibrationChip& chip) {
  return 2 * chip.workload_value("rows") * chip.workload_value("cols");
}

hw::Ledger calibration_ledger(const CalibrationChip& chip, const CalibrationMode& mode, const EnergyTables& t) {
  const double rows = chip.workload_value("rows"), cols = chip.workload_value("cols");
  const double devices = chip.workload_value("devices_per_weight");
  const double t_mean_ns = chip.workload_value("input_window_ns") * chip.workload_value("mean_input_fraction");
  const double v = t.value("analog.v_read_v");
  // V^2 G t per device, for the mean input pulse (uS * ns * V^2 = 1e-3 pJ).
  const double read_pj = v * v * t.value("analog.cell_conductance_us") * t_mean_ns * 1e-3;
  const std::string m = chip.name + "." + mode.name;
  hw::Ledger l;
  l.add(l.counter(m + ".dac", "dac_conversion", t.value("analog.dac_conversion_pj")), mode.phases * rows);
  l.add_integrated(l.counter(m + ".crossbar", "crossbar_read", 0.0), mode.phases * rows * cols * devices,
                   mode.phases * rows * cols * devices * read_pj);
  l.add(l.counter(m + ".adc", "adc_conversion", adc_conversion_pj(t)), mode.phases * cols);
  const double post = chip.workload_value("post_mult_add_per_output");
  if (post > 0)
    l.add(l.counter(m + ".digital", "fp16_mult_add", t.value("cmos45.fp16_mult_pj") + t.value("cmos45.fp16_add_pj")),
          post * cols);
  const double bytes = chip.workload_value("sram_bytes_per_value") * (rows + cols);
  if (bytes > 0) l.add(l.counter(m + ".sram", "sram_byte", t.value("cmos45.sram_8kb_64bit_pj") / 8), bytes);
  return l;
}

double CalibrationResult::factor_off() const {
  const double r = ratio();
  return r >= 1 ? r : 1 / r;
}

double fitted_overhead(const std::vector<CalibrationChip>& chips, const EnergyTables& t) {
  const CalibrationChip* fit_chip = nullptr;
  const CalibrationMode* fit_mode = nullptr;
  for (const auto& c : chips)
    for (const auto& m : c.modes)
      if (m.fit) {
        // Not require(): its message's arguments are evaluated even when the check passes.
        if (fit_mode != nullptr)
          throw Error(fmt::format("calibrations: two modes are marked fit ({} {} and {} {}); one fits the overhead",
                                  fit_chip->name, fit_mode->name, c.name, m.name));
        fit_chip = &c;
        fit_mode = &m;
      }
  require(fit_mode != nullptr, "calibrations: no mode is marked fit = true");
  const double events = operations_per_product(*fit_chip) / calibration_ledger(*fit_chip, *fit_mode, t).total_energy_pj();
  return std::max(1.0, events / fit_mode->published_tops_per_w);
}

std::vector<CalibrationResult> calibrate(const std::vector<CalibrationChip>& chips, const std::string& which,
                                         const EnergyTables& t) {
  const double overhead = fitted_overhead(chips, t);
  std::vector<CalibrationResult> out;
  std::vector<std::string> names;
  for (const auto& c : chips) {
    names.push_back(c.name);
    if (which != "all" && c.name != which) continue;
    for (const auto& m : c.modes) {
      CalibrationResult r;
      r.chip = c.name;
      r.title = c.title;
      r.mode = m.name;
      r.ledger = calibration_ledger(c, m, t);
      r.operations = operations_per_product(c);
      r.events_tops_per_w = r.operations / r.ledger.total_energy_pj();
      r.calibrated_tops_per_w = r.events_tops_per_w / overhead;
      r.published_tops_per_w = m.published_tops_per_w;
      r.published_source = m.published_source;
      r.fit = m.fit;
      out.push_back(r);
    }
  }
  require(!out.empty(), "--calibrate {}: no such chip (known: {}, all)", which, fmt::join(names, ", "));
  return out;
}

std::string calibration_table(const std::vector<CalibrationResult>& results, double overhead) {
  std::string s = fmt::format("{:<14} {:<11} {:>11} {:>14} {:>11} {:>17} {:>14}\n", "chip", "mode", "published",
                              "events TOPS/W", "events/pub", "calibrated TOPS/W", "calibrated/pub");
  for (const auto& r : results)
    s += fmt::format("{:<14} {:<11} {:>11.3g} {:>14.3g} {:>10.2f}x {:>17.3g} {:>13.2f}x{}\n", r.chip, r.mode,
                     r.published_tops_per_w, r.events_tops_per_w, r.events_tops_per_w / r.published_tops_per_w,
                     r.calibrated_tops_per_w, r.ratio(), r.fit ? "  (fitted here)" : "");
  s += fmt::format("overhead factor beyond the counted events, fitted on the mode marked fit: {:.3f}\n", overhead);
  return s;
}

nlohmann::json to_json(const std::vector<CalibrationResult>& results, double overhead) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& r : results)
    list.push_back({{"chip", r.chip},
                    {"title", r.title},
                    {"mode", r.mode},
                    {"events_tops_per_w", r.events_tops_per_w},
                    {"calibrated_tops_per_w", r.calibrated_tops_per_w},
                    {"published_tops_per_w", r.published_tops_per_w},
                    {"published_source", r.published_source},
                    {"calibrated_over_published", r.ratio()},
                    {"events_over_published", r.events_tops_per_w / r.published_tops_per_w},
                    {"operations_per_product", r.operations},
                    {"fit", r.fit},
                    {"energy_per_product", r.ledger.to_json()}});
  return {{"overhead_factor", overhead}, {"results", list}};
}

}  // namespace mortal
