#include "sim/energy_report.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/error.h"
#include "model/ff_cost.h"
#include "sim/cli.h"
#include "sim/energy_calibration.h"
#include "sim/plot.h"
#include "sim/process.h"
#include "sim/resume.h"
#include "sim/sweep_run.h"

namespace mortal {

void MortalEnergyParams::add_options(CLI::App& app) {
  app.add_option("--tables", tables, "Folder of the energy tables (*.toml; calibrations in its calibration/)");
  list_option(app.add_option("--energy", energy_files, "TOML file overriding constants of the tables (repeatable)"),
              false);
  list_option(app.add_option("--energy-set", energy_sets, "PATH=VALUE overriding one constant, e.g. "
                                                          "analog.pulse_pj=10 (repeatable)"),
              false);
  list_option(app.add_option("--insitu", insitu, "ff_mnist in-situ results file (repeatable): the first is costed "
                                                 "in full, every one is a point of the Pareto plot"),
              false);
  app.add_option("--run-insitu", run_insitu,
                 "Make the in-situ run first: ff_mnist's options in one word, e.g. --run-insitu='--device ecram "
                 "--epochs 1 --train-limit 10000 --rival none'; its results go beside --out (<stem>_insitu.json) and "
                 "are costed in full");
  app.add_option("--bp", bp, "bp_mnist results file: its FLOP and traffic counts and its test error");
  app.add_option("--ff-digital", ff_digital, "ff_mnist digital results file: its test error");
  list_option(app.add_option("--layers", layers, "Hidden layers of the network costed (default: the first run's)"));
  app.add_option("--features", features, "Input values per image");
  app.add_option("--classes", classes, "Labels");
  app.add_option("--batch", batch, "Images per step, over which parameter traffic is shared (0: the first run's)");
  app.add_option("--calibrate", calibrate, "Cost a published chip's workload instead: a file name of "
                                           "<tables>/calibration (hermes, ambrogio2023) or all");
  app.add_option("--sensitivity", sensitivity, "How many constants to list by their influence on the headline ratio");
  app.add_option("--plot", plot, "Stem of the plots (default: the results path without .json)");
}

void MortalEnergyParams::validate() const {
  require(features >= 1, "features must be at least 1, got {}", features);
  require(classes >= 2, "classes must be at least 2, got {}", classes);
  require(batch >= 0, "batch must be >= 0, got {}", batch);
  require(sensitivity >= 0, "sensitivity must be >= 0, got {}", sensitivity);
  for (int u : layers) require(u >= 1, "layers: every layer needs at least one unit, got {}", u);
  require(!calibrate.empty() || !insitu.empty() || !run_insitu.empty(),
          "give --insitu RESULTS (an ff_mnist in-situ run: its ledger, and the pulse rate the counted models "
          "use), --run-insitu OPTIONS (make one) or --calibrate CHIP");
  if (!run_insitu.empty()) insitu_run_args();
}

std::string MortalEnergyParams::insitu_run_out(const std::string& out) const { return results_stem(out) + "_insitu.json"; }

std::vector<std::string> MortalEnergyParams::insitu_run_args() const {
  std::vector<std::string> args;
  std::istringstream words(run_insitu);
  for (std::string w; words >> w;) {
    for (const char* own : {"--out", "--force"})
      require(w != own && w.rfind(std::string(own) + "=", 0) != 0,
              "--run-insitu: {} is mortal_energy's to set (the run's results go beside --out)", w);
    args.push_back(w);
  }
  require(!args.empty(), "--run-insitu: no options given");
  return args;
}

void run_insitu_ff(const std::vector<std::string>& args, const std::string& out, bool force) {
  std::vector<std::string> argv = {resolve_scenario("ff_mnist")};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--out", out});
  if (force) argv.push_back("--force");
  ProcessOptions o;
  o.merge_output = true;
  o.keep_bytes = 4096;
  const ProcessResult r = run_process(argv, o);
  require(r.ok(), "--run-insitu: ff_mnist {}: {}", r.describe(), tail_lines(r.out, 8));
}

std::string MortalEnergyParams::plot_stem(const std::string& out) const {
  return plot.empty() ? results_stem(out) : plot;
}

EnergyTables load_energy_tables(const MortalEnergyParams& p) {
  EnergyTables t = EnergyTables::load(p.tables.empty() ? default_energy_dir() : p.tables);
  for (const std::string& f : p.energy_files) t.override_file(f);
  for (const std::string& s : p.energy_sets) t.override_setting(s);
  return t;
}

namespace {

nlohmann::json read_json(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  require(bool(in), "{} {}: cannot read it", what, path);
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    fail("{} {}: not valid JSON: {}", what, path, e.what());
  }
}

const nlohmann::json& field(const nlohmann::json& j, const std::string& key, const std::string& where) {
  require(j.is_object() && j.contains(key), "{}: no \"{}\"", where, key);
  return j[key];
}

double number_field(const nlohmann::json& j, const std::string& key, const std::string& where) {
  const nlohmann::json& v = field(j, key, where);
  require(v.is_number(), "{}: \"{}\" is {}, not a number", where, key, v.dump());
  return v.get<double>();
}

std::vector<int> int_list(const nlohmann::json& j, const std::string& where) {
  require(j.is_array(), "{}: expected a list of layer sizes, got {}", where, j.dump());
  std::vector<int> v;
  for (const auto& x : j) {
    require(x.is_number_integer() && x.get<int>() >= 1, "{}: layer size {} is not a positive whole number", where,
            x.dump());
    v.push_back(x.get<int>());
  }
  return v;
}

const nlohmann::json& config_value(const nlohmann::json& config, const std::string& name, const std::string& where) {
  if (config.contains(name)) return config[name];
  if (config.contains("--" + name)) return config["--" + name];
  fail("{}: config has no \"{}\"", where, name);
}

BpWork work_from_json(const nlohmann::json& j, const std::string& where) {
  BpWork w;
  w.macs = number_field(j, "macs", where);
  w.other_flops = number_field(j, "other_flops", where);
  w.param_bytes_read = number_field(j, "param_bytes_read", where);
  w.param_bytes_written = number_field(j, "param_bytes_written", where);
  w.activation_bytes_read = number_field(j, "activation_bytes_read", where);
  w.activation_bytes_written = number_field(j, "activation_bytes_written", where);
  return w;
}

std::string energy_text(double pj) {
  if (pj >= 1e9) return fmt::format("{:.3g} mJ", pj / 1e9);
  if (pj >= 1e6) return fmt::format("{:.3g} uJ", pj / 1e6);
  if (pj >= 1e3) return fmt::format("{:.3g} nJ", pj / 1e3);
  return fmt::format("{:.3g} pJ", pj);
}

std::string error_text(double e) { return std::isnan(e) ? std::string("-") : fmt::format("{:.2f}%", 100 * e); }

// The groups of the stacked bars.
std::string event_group(const std::string& event) {
  if (event == "adc_conversion" || event == "weight_readout_adc") return "ADC";
  if (event == "dac_conversion") return "DAC";
  if (event == "pulse" || event == "program_pulse" || event == "pulse_gen_op") return "pulses";
  if (event == "crossbar_read") return "crossbar reads";
  if (event == "relu_op" || event == "normaliser_op" || event == "squarer_op" || event == "sigmoid_op" ||
      event == "charge_share")
    return "analog periphery";
  if (event == "sram_byte" || event == "dram_byte" || event == "hbm_byte") return "memory";
  if (event == "overhead") return "overhead";
  return "digital arithmetic";
}

const std::vector<std::string>& group_order() {
  static const std::vector<std::string> g = {"ADC",      "DAC",    "pulses",  "analog periphery", "crossbar reads",
                                             "digital arithmetic", "memory", "overhead"};
  return g;
}

}  // namespace

InsituRun read_insitu_run(const std::string& path, int features, int classes) {
  const nlohmann::json j = read_json(path, "--insitu");
  const std::string where = "--insitu " + path;
  const nlohmann::json& m = field(j, "metrics", where);
  const nlohmann::json& config = field(j, "config", where);
  const nlohmann::json status = j.contains("status") ? j["status"] : m.contains("status") ? m["status"] : nlohmann::json();
  require(status == "finished", "{}: the run is not finished (status {})", where,
          status.is_null() ? std::string("missing") : status.dump());
  require(m.contains("energy_training"),
          "{}: no energy_training ledger (a digital ff_mnist run? mortal_energy needs an in-situ run, --device)", where);
  InsituRun r;
  r.path = path;
  r.device = m.contains("device") && m["device"].is_string() ? m["device"].get<std::string>() : "?";
  r.net.sizes = {features};
  for (int u : int_list(config_value(config, "layers", where), where + ": config.layers")) r.net.sizes.push_back(u);
  r.net.classes = classes;
  const auto whole = [&](const char* name) {
    const nlohmann::json& v = config_value(config, name, where);
    require(v.is_number_integer() && v.get<long long>() >= 1 && v.get<long long>() <= 1000000000,
            "{}: config.{} is {}, not a positive whole number", where, name, v.dump());
    return v.get<int>();
  };
  r.net.batch = whole("batch");
  if (config.contains("readout-layers")) {
    const nlohmann::json& readout = config["readout-layers"];
    require(readout.is_array(), "{}: config.readout-layers is {}, not a list", where, readout.dump());
    for (const auto& k : readout) {
      require(k.is_number_integer(), "{}: config.readout-layers holds {}, not a layer number", where, k.dump());
      r.net.readout.push_back(k.get<int>());
    }
  }
  r.net.validate();
  const double epochs = whole("epochs");
  r.images = number_field(m, "train_examples", where + ": metrics") * epochs;
  require(r.images > 0, "{}: trained on no images", where);
  r.test_error = number_field(m, "test_error", where + ": metrics");
  r.training_ledger = m["energy_training"];
  if (m.contains("energy_total")) r.total_ledger = m["energy_total"];
  for (const char* key : {"energy_training", "energy_total"}) {
    if (!m.contains(key)) continue;
    try {
      check_ledger_record(m[key]);
    } catch (const Error& e) {
      fail("{}: metrics.{}: {}", where, key, e.what());
    }
  }
  return r;
}

hw::Ledger measured_inference(const InsituRun& run, const EnergyTables& t, double* predicted) {
  hw::Ledger out;
  if (predicted != nullptr) *predicted = 0;
  if (run.total_ledger.is_null()) return out;
  const hw::Ledger eval = recost_ledger(run.total_ledger, t).minus(recost_ledger(run.training_ledger, t));
  double images = 0;
  for (const auto& c : eval.counters())
    if (c.module == "ff.label_readout" && c.event == "adc_conversion") images += c.count;
  if (images < 1) return out;
  if (predicted != nullptr) *predicted = images;
  hw::Ledger ff;
  for (const auto& c : eval.counters())
    if (c.module.rfind("ff.", 0) == 0 && (c.count > 0 || c.integrated_pj > 0))
      ff.add_integrated(ff.counter(c.module, c.event, c.energy_per_event_pj), c.count, c.integrated_pj);
  return with_overhead(per_image(ff, images), t);
}

const EnergyRow& EnergyComparison::row(const std::string& key) const {
  for (const auto& r : rows)
    if (r.key == key) return r;
  fail("no energy row '{}'", key);
}

double EnergyComparison::ratio(const std::string& a, const std::string& b) const {
  return row(a).training.total_energy_pj() / row(b).training.total_energy_pj();
}

EnergyComparison compare_energy(const EnergyInputs& in, const EnergyTables& t) {
  const EnergyNet& net = in.net;
  net.validate();
  require(in.run != nullptr, "the comparison needs an in-situ run (its pulse rate)");
  const bool same_net = in.run->net.sizes == net.sizes;
  const AnalogRates rates = analog_rates(in.run->training_ledger, in.run->net, in.run->images);
  EnergyComparison c;
  {
    EnergyRow r;
    r.key = "ff_analog";
    r.label = "FF in situ, analog chip";
    r.test_error = same_net ? in.run->test_error : std::nan("");
    if (same_net) {
      r.training = with_overhead(per_image(recost_ledger(in.run->training_ledger, t), in.run->images), t);
      r.basis = "training: the run's ledger; inference: counted";
    } else {
      r.training = ff_analog_training(net, rates, t, false);
      r.basis = "counted, pulse rate of the run";
    }
    r.inference = ff_analog_inference(net, rates, t, false);
    c.rows.push_back(r);
  }
  {
    EnergyRow r;
    r.key = "ff_analog_adc";
    r.label = "FF on the chip, ADC on the learning path";
    r.training = c.rows[0].training;
    r.training.add_all(with_overhead(ff_learning_path_converters(net, t), t));
    r.inference = ff_analog_inference(net, rates, t, true);
    r.basis = c.rows[0].basis + " + counted converters";
    c.rows.push_back(r);
  }
  c.rows.push_back({"bp_analog", "BP on analog crossbars", "counted, pulse rate of the FF run",
                    bp_analog_training(net, rates, t), bp_analog_inference(net, rates, t), std::nan("")});
  for (DigitalPlatform p : {DigitalPlatform::cmos45, DigitalPlatform::h100}) {
    const std::string where = p == DigitalPlatform::cmos45 ? "45 nm CMOS" : "H100";
    c.rows.push_back({"ff_digital_" + to_string(p), "FF digital, " + where, "FLOP and traffic counts",
                      digital_ledger(in.ff_training.total(), p, t), digital_ledger(in.ff_inference.total(), p, t),
                      in.ff_digital_test_error});
  }
  for (DigitalPlatform p : {DigitalPlatform::cmos45, DigitalPlatform::h100}) {
    const std::string where = p == DigitalPlatform::cmos45 ? "45 nm CMOS" : "H100";
    c.rows.push_back({"bp_digital_" + to_string(p), "BP digital, " + where, "FLOP and traffic counts (bp_mnist's)",
                      digital_ledger(in.bp_training.total(), p, t), digital_ledger(in.bp_inference.total(), p, t),
                      in.bp_test_error});
  }
  return c;
}

std::vector<Sensitivity> headline_sensitivity(const EnergyInputs& in, const EnergyTables& t, int top) {
  const double base = compare_energy(in, t).headline();
  std::vector<Sensitivity> all;
  for (const auto& [path, k] : t.constants()) {
    Sensitivity s;
    s.path = path;
    s.value = k.value;
    // Copies, not the structured bindings: a lambda may not capture those in C++17.
    const std::string p = path;
    const double v = k.value;
    const auto moved = [&in, &t, p, v](double f) {
      EnergyTables m = t;
      try {
        m.set(p, v * f, "sensitivity");
        return compare_energy(in, m).headline();
      } catch (const Error&) {
        return std::nan("");  // a value the constant cannot take (a fraction above 1, an overhead below 1)
      }
    };
    s.ratio_half = moved(0.5);
    s.ratio_double = moved(2.0);
    const double up = std::isnan(s.ratio_double) ? 0 : std::log(s.ratio_double / base) / std::log(2.0);
    const double down = std::isnan(s.ratio_half) ? 0 : std::log(s.ratio_half / base) / std::log(0.5);
    s.elasticity = std::abs(up) >= std::abs(down) ? up : down;
    if (k.value > 0) all.push_back(s);
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const Sensitivity& a, const Sensitivity& b) { return std::abs(a.elasticity) > std::abs(b.elasticity); });
  if (int(all.size()) > top) all.resize(std::size_t(top));
  return all;
}

namespace {

std::string comparison_table(const EnergyComparison& c) {
  std::string s = fmt::format("{:<42} {:>16} {:>16} {:>10}  {}\n", "per image", "training", "inference",
                              "test error", "basis");
  for (const auto& r : c.rows)
    s += fmt::format("{:<42} {:>16} {:>16} {:>10}  {}\n", r.label, energy_text(r.training.total_energy_pj()),
                     energy_text(r.inference.total_energy_pj()), error_text(r.test_error), r.basis);
  return s;
}

nlohmann::json row_json(const EnergyRow& r) {
  return {{"label", r.label},
          {"basis", r.basis},
          {"training_pj_per_image", r.training.total_energy_pj()},
          {"inference_pj_per_image", r.inference.total_energy_pj()},
          {"test_error", std::isnan(r.test_error) ? nlohmann::json() : nlohmann::json(r.test_error)},
          {"training", r.training.to_json()},
          {"inference", r.inference.to_json()}};
}

// Energy per event kind, summed over modules, per image.
std::map<std::string, double> by_event(const hw::Ledger& l) {
  std::map<std::string, double> m;
  for (const auto& c : l.counters()) m[c.event] += c.energy_pj();
  return m;
}

// The counted FF model against the run's ledger, event by event: how far the count explains the run.
std::string model_check(const hw::Ledger& measured, const hw::Ledger& counted, nlohmann::json& j) {
  std::map<std::string, std::pair<double, double>> m;
  for (const auto& [e, v] : by_event(measured)) m[e].first = v;
  for (const auto& [e, v] : by_event(counted)) m[e].second = v;
  std::string s = fmt::format("{:<20} {:>14} {:>14}\n", "event", "run's ledger", "counted");
  j = nlohmann::json::object();
  for (const auto& [e, v] : m) {
    s += fmt::format("{:<20} {:>14} {:>14}\n", e, energy_text(v.first), energy_text(v.second));
    j[e] = {{"ledger_pj", v.first}, {"counted_pj", v.second}};
  }
  return s;
}

// Stacked bars: every row's training energy per image, split by event group, as shares of its total (the
// totals span orders of magnitude; they label the bars).
void draw_bars(const std::string& stem, const EnergyComparison& c) {
  std::string csv = "row,label";
  for (const auto& g : group_order()) csv += "," + g;
  csv += "\n";
  for (std::size_t i = 0; i < c.rows.size(); ++i) {
    const auto& r = c.rows[i];
    std::map<std::string, double> g;
    for (const auto& [e, v] : by_event(r.training)) g[event_group(e)] += v;
    const double total = r.training.total_energy_pj();
    csv += fmt::format("{},\"{} ({})\"", i, r.label, energy_text(total));
    for (const auto& name : group_order()) csv += fmt::format(",{:.6g}", total > 0 ? 100 * g[name] / total : 0.0);
    csv += "\n";
  }
  std::string gp = "# gnuplot -c THIS_SCRIPT OUTPUT.png DATA.csv\n";
  gp += "set terminal pngcairo size 1200,700 noenhanced\nset output ARG1\n";
  gp += "set title 'Training energy per image: where it goes (bar label: the total)'\n";
  gp += "set ylabel 'share of the energy per training image (%)'\nset yrange [0:100]\n";
  gp += "set datafile separator ','\nset style data histograms\nset style histogram rowstacked\n";
  gp += "set style fill solid 0.8 border -1\nset boxwidth 0.7\nset key outside right\nset xtics rotate by -30\n";
  gp += "set grid ytics\n";
  gp += "plot ";
  for (std::size_t k = 0; k < group_order().size(); ++k)
    gp += fmt::format("{}ARG2 using {}:xtic(2) title columnheader({})", k ? ", " : "", k + 3, k + 3);
  gp += "\n";
  draw_gnuplot(stem, csv, gp);
}

// Energy per training image against test error, one point per row with a test error.
void draw_pareto(const std::string& stem, const std::vector<std::pair<std::string, std::pair<double, double>>>& pts) {
  require(!pts.empty(), "plot {}: no run with a test error", stem);
  std::string csv = "label,energy_nj,test_error_percent\n";
  for (const auto& [label, p] : pts) csv += fmt::format("\"{}\",{:.6g},{:.6g}\n", label, p.first / 1e3, 100 * p.second);
  std::string gp = "# gnuplot -c THIS_SCRIPT OUTPUT.png DATA.csv\n";
  gp += "set terminal pngcairo size 900,600 noenhanced\nset output ARG1\n";
  gp += "set title 'Energy per training image against test error'\n";
  gp += "set xlabel 'energy per training image (nJ)'\nset ylabel 'test error (%)'\nset logscale x\nset grid\n";
  // Ranges from the points, so that one point alone still has room (and gnuplot nothing to warn about).
  // Errors span a decade or more: both axes logarithmic.
  double x_lo = pts.front().second.first, x_hi = x_lo, y_lo = pts.front().second.second, y_hi = y_lo;
  for (const auto& [label, p] : pts) {
    x_lo = std::min(x_lo, p.first);
    x_hi = std::max(x_hi, p.first);
    y_lo = std::min(y_lo, p.second);
    y_hi = std::max(y_hi, p.second);
  }
  gp += fmt::format("set datafile separator ','\nset logscale y\nset xrange [{:.6g}:{:.6g}]\n"
                    "set yrange [{:.6g}:{:.6g}]\nset ytics (0.5, 1, 2, 5, 10, 20, 50, 100)\nset key off\n",
                    x_lo / 1e3 / 3, x_hi / 1e3 * 30, std::max(100 * y_lo / 1.5, 1e-3), std::max(100 * y_hi * 1.5, 1e-2));
  // Labels above and below the points in turn: the same run costed on two platforms sits at one error.
  gp += "plot ARG2 every ::1 using 2:3 with points pt 7 ps 1.5, ARG2 every 2::1 using 2:3:1 with labels offset 1,1 left";
  if (pts.size() > 1) gp += ", ARG2 every 2::2 using 2:3:1 with labels offset 1,-1 left";
  gp += "\n";
  draw_gnuplot(stem, csv, gp);
}

}  // namespace

nlohmann::json run_mortal_energy(const MortalEnergyParams& p, const std::string& out, std::string& text,
                                 bool force) {
  p.validate();
  const EnergyTables tables = load_energy_tables(p);
  const std::string tables_dir = p.tables.empty() ? default_energy_dir() : p.tables;
  nlohmann::json metrics = {{"tables", tables.to_json()}};
  if (!p.calibrate.empty()) {
    const std::vector<CalibrationChip> chips = read_calibrations(tables_dir + "/calibration");
    const std::vector<CalibrationResult> res = calibrate(chips, p.calibrate, tables);
    const double overhead = fitted_overhead(chips, tables);
    text += "Calibration: the tables' event energies on published chips' matrix-vector products\n";
    for (const auto& r : res)
      text += fmt::format("\n{} {}: per core and product ({:.0f} operations)\n{}", r.title, r.mode, r.operations,
                          r.ledger.table());
    text += "\n" + calibration_table(res, overhead);
    metrics["calibration"] = to_json(res, overhead);
    if (p.insitu.empty() && p.run_insitu.empty()) return metrics;
  }

  std::vector<std::string> insitu_files = p.insitu;
  if (!p.run_insitu.empty()) {
    // The run made here comes first: it is the one costed in full.
    const std::string run_out = p.insitu_run_out(out);
    fmt::print(stderr, "mortal_energy: running ff_mnist {} --out {}\n", p.run_insitu, run_out);
    run_insitu_ff(p.insitu_run_args(), run_out, force);
    insitu_files.insert(insitu_files.begin(), run_out);
    metrics["insitu_run"] = {{"options", p.run_insitu}, {"results", run_out}};
  }
  std::vector<InsituRun> runs;
  for (const std::string& f : insitu_files) runs.push_back(read_insitu_run(f, p.features, p.classes));
  EnergyInputs in;
  in.run = &runs.front();
  in.net = runs.front().net;
  if (!p.layers.empty()) {
    in.net.sizes = {p.features};
    in.net.sizes.insert(in.net.sizes.end(), p.layers.begin(), p.layers.end());
    in.net.readout.clear();
  }
  if (p.batch > 0) in.net.batch = p.batch;
  in.net.classes = p.classes;
  in.net.validate();
  const std::vector<int> hidden(in.net.sizes.begin() + 1, in.net.sizes.end());

  // BP's counts: bp_mnist's own, from its results file when given (for this network), else counted the way
  // bp_mnist counts them with its default settings.
  BpMlpParams bp_model;
  bp_model.sizes = in.net.bp_sizes();
  bp_model.dropout_hidden = 0.2f;  // bp_mnist's default (sim/bp_experiment.h)
  in.bp_training = bp_training_cost(bp_model, in.net.batch);
  in.bp_inference = bp_inference_cost(bp_model.sizes, in.net.batch);
  std::string bp_source = "counted as bp_mnist counts (SGD with momentum, dropout 0.2)";
  if (!p.bp.empty()) {
    const nlohmann::json j = read_json(p.bp, "--bp");
    const std::string where = "--bp " + p.bp;
    const nlohmann::json& m = field(j, "metrics", where);
    const std::vector<int> bp_layers = int_list(config_value(field(j, "config", where), "layers", where), where);
    require(bp_layers == hidden, "{}: its network has hidden layers {}, the comparison's are {}", where,
            fmt::join(bp_layers, ","), fmt::join(hidden, ","));
    const nlohmann::json& cost = field(m, "cost_per_sample", where + ": metrics");
    in.bp_training.forward = work_from_json(field(field(cost, "training", where), "total", where), where);
    in.bp_training.backward = in.bp_training.update = BpWork{};
    in.bp_inference.forward = work_from_json(field(field(cost, "inference", where), "total", where), where);
    in.bp_inference.backward = in.bp_inference.update = BpWork{};
    in.bp_test_error = number_field(m, "test_error", where + ": metrics");
    bp_source = "bp_mnist's counts from " + p.bp;
  }
  in.ff_training = ff_training_cost(in.net.sizes, in.net.batch, BpOptimizer::sgd);
  in.ff_inference = ff_inference_cost(in.net.sizes, in.net.batch, in.net.classes, in.net.readout);
  if (!p.ff_digital.empty()) {
    const nlohmann::json j = read_json(p.ff_digital, "--ff-digital");
    const std::string where = "--ff-digital " + p.ff_digital;
    const std::vector<int> ff_layers = int_list(config_value(field(j, "config", where), "layers", where), where);
    require(ff_layers == hidden, "{}: its network has layers {}, the comparison's are {}", where,
            fmt::join(ff_layers, ","), fmt::join(hidden, ","));
    in.ff_digital_test_error = number_field(field(j, "metrics", where), "test_error", where + ": metrics");
  }

  const EnergyComparison c = compare_energy(in, tables);
  const bool same_net = in.run->net.sizes == in.net.sizes;
  text += fmt::format("Network {}-{}, batch {}; FF in situ from {} ({}, {} training images{})\n", p.features,
                      fmt::join(hidden, "-"), in.net.batch, in.run->path, in.run->device, in.run->images,
                      same_net ? "" : fmt::format(", a {}-{} network: counted at its pulse rate", p.features,
                                                  fmt::join(std::vector<int>(in.run->net.sizes.begin() + 1,
                                                                             in.run->net.sizes.end()),
                                                            "-")));
  text += fmt::format("BP's counts: {}\n\n", bp_source);
  text += comparison_table(c);
  const double r_h100 = c.headline(), r_45 = c.ratio("ff_analog", "bp_digital_45nm"),
               r_analog = c.ratio("ff_analog", "bp_analog");
  const auto infer_ratio = [&](const char* a, const char* b) {
    return c.row(a).inference.total_energy_pj() / c.row(b).inference.total_energy_pj();
  };
  text += fmt::format("\nratios per training image (FF-analog : other): FF-analog : BP-digital (H100) = 1 : {:.4g}; "
                      "FF-analog : BP-digital (45 nm) = 1 : {:.4g}; FF-analog : BP-analog = 1 : {:.4g}; "
                      "FF-analog : FF with learning-path ADCs = 1 : {:.4g}\n",
                      1 / r_h100, 1 / r_45, 1 / r_analog, 1 / c.ratio("ff_analog", "ff_analog_adc"));
  text += fmt::format("ratios per inference image: FF-analog : BP-digital (H100) = 1 : {:.4g}; FF-analog : BP-analog "
                      "= 1 : {:.4g}\n",
                      1 / infer_ratio("ff_analog", "bp_digital_h100"), 1 / infer_ratio("ff_analog", "bp_analog"));

  // The same comparison with the analog overhead fitted on a published chip (sim/energy_calibration.h),
  // when the tables hold calibrations and the overhead is not already set.
  nlohmann::json calibrated;
  const std::string cal_dir = tables_dir + "/calibration";
  std::error_code ec;
  if (std::filesystem::is_directory(cal_dir, ec) && tables.value("analog.overhead_factor") == 1.0) {
    const double f = fitted_overhead(read_calibrations(cal_dir), tables);
    EnergyTables fitted = tables;
    fitted.set("analog.overhead_factor", f, "fitted by --calibrate");
    const EnergyComparison cf = compare_energy(in, fitted);
    text += fmt::format("with the analog overhead fitted on a published chip (x{:.3f}, --calibrate all): FF-analog : "
                        "BP-digital (H100) = 1 : {:.4g}; FF-analog : BP-analog = 1 : {:.4g}\n",
                        f, 1 / cf.headline(), 1 / cf.ratio("ff_analog", "bp_analog"));
    calibrated = {{"overhead_factor", f},
                  {"training_ff_analog_over_bp_digital_h100", cf.headline()},
                  {"training_ff_analog_over_bp_analog", cf.ratio("ff_analog", "bp_analog")}};
  }

  text += "\nBreakdown per training image (module, event):\n";
  for (const auto& r : c.rows) text += fmt::format("\n{}\n{}", r.label, r.training.table());
  text += fmt::format("\nBreakdown per inference image, {}:\n{}", c.rows[0].label, c.rows[0].inference.table());

  nlohmann::json check;
  if (same_net) {
    const AnalogRates rates = analog_rates(in.run->training_ledger, in.run->net, in.run->images);
    text += "\nThe counted FF model against the run's ledger, per training image (program-and-verify of the initial "
            "weights is in the ledger only):\n";
    text += model_check(c.rows[0].training, ff_analog_training(in.net, rates, tables, false), check);
    double predicted = 0;
    const hw::Ledger measured = measured_inference(*in.run, tables, &predicted);
    if (!measured.counters().empty()) {
      nlohmann::json inference_check;
      text += fmt::format("\nThe counted FF inference against the run's evaluations (energy_total less "
                          "energy_training, per image of the {} predicted; the drift compensation's probes are in "
                          "the run's figure):\n",
                          predicted);
      text += model_check(measured, c.rows[0].inference, inference_check);
      check = {{"training", check}, {"inference", inference_check}};
    } else {
      check = {{"training", check}, {"inference", nullptr}};
    }
  }

  const std::vector<Sensitivity> sens = headline_sensitivity(in, tables, p.sensitivity);
  nlohmann::json sens_json = nlohmann::json::array();
  if (!sens.empty()) {
    text += fmt::format("\nSensitivity of the headline ratio FF-analog : BP-digital (H100) = 1 : {:.4g} to the "
                        "constants it depends on most:\n",
                        1 / r_h100);
    text += fmt::format("{:<36} {:>12} {:>10} {:>16} {:>16}\n", "constant", "value", "elasticity", "ratio at x0.5",
                        "ratio at x2");
    const auto ratio_text = [](double r) { return std::isnan(r) ? std::string("n/a") : fmt::format("1 : {:.4g}", 1 / r); };
    for (const auto& s : sens) {
      text += fmt::format("{:<36} {:>12.4g} {:>10.3f} {:>16} {:>16}\n", s.path, s.value, s.elasticity,
                          ratio_text(s.ratio_half), ratio_text(s.ratio_double));
      sens_json.push_back({{"constant", s.path},
                           {"value", s.value},
                           {"elasticity", s.elasticity},
                           {"ratio_at_half", std::isnan(s.ratio_half) ? nlohmann::json() : nlohmann::json(s.ratio_half)},
                           {"ratio_at_double",
                            std::isnan(s.ratio_double) ? nlohmann::json() : nlohmann::json(s.ratio_double)}});
    }
  }

  // Pareto: every run given, and the rows with a test error.
  std::vector<std::pair<std::string, std::pair<double, double>>> pts;
  for (const auto& run : runs)
    pts.push_back({fmt::format("FF in situ, {} ({})", run.device, run.path.substr(run.path.find_last_of('/') + 1)),
                   {per_image(recost_ledger(run.training_ledger, tables), run.images).total_energy_pj() *
                        tables.value("analog.overhead_factor"),
                    run.test_error}});
  for (const auto& r : c.rows)
    if (!std::isnan(r.test_error) && r.key != "ff_analog") pts.push_back({r.label, {r.training.total_energy_pj(), r.test_error}});
  const std::string stem = p.plot_stem(out);
  std::string plot_error;
  try {
    draw_bars(stem + "_bars", c);
    draw_pareto(stem + "_pareto", pts);
    text += fmt::format("\nplots: {}_bars.png, {}_pareto.png\n", stem, stem);
  } catch (const Error& e) {
    plot_error = e.what();
    text += fmt::format("\nwarning: no plot: {}\n", plot_error);
  }

  nlohmann::json rows = nlohmann::json::object();
  for (const auto& r : c.rows) rows[r.key] = row_json(r);
  nlohmann::json points = nlohmann::json::array();
  for (const auto& [label, pt] : pts)
    points.push_back({{"label", label}, {"training_pj_per_image", pt.first}, {"test_error", pt.second}});
  metrics.update({{"network", in.net.sizes},
                  {"classes", in.net.classes},
                  {"batch", in.net.batch},
                  {"insitu", in.run->path},
                  {"bp_counts", bp_source},
                  {"rows", rows},
                  {"ratios",
                   {{"training_ff_analog_over_bp_digital_h100", r_h100},
                    {"training_ff_analog_over_bp_digital_45nm", r_45},
                    {"training_ff_analog_over_bp_analog", r_analog},
                    {"inference_ff_analog_over_bp_digital_h100", infer_ratio("ff_analog", "bp_digital_h100")},
                    {"inference_ff_analog_over_bp_analog", infer_ratio("ff_analog", "bp_analog")}}},
                  {"ratios_with_fitted_overhead", calibrated},
                  {"counted_against_ledger", check},
                  {"sensitivity", sens_json},
                  {"pareto", points},
                  {"plots", plot_error.empty() ? nlohmann::json({stem + "_bars.png", stem + "_pareto.png"})
                                               : nlohmann::json::array()},
                  {"plot_error", plot_error}});
  return metrics;
}

}  // namespace mortal
