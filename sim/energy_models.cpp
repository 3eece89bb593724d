#include "sim/energy_models.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "model/ff_net.h"

namespace mortal {

namespace {

int tiles(int n, int per_tile) { return (n + per_tile - 1) / per_tile; }

// Books `count` events of `event` on `module` at the tables' energy for the event.
void book(hw::Ledger& l, const std::string& module, const std::string& event, double count, const EnergyTables& t) {
  if (count == 0) return;
  l.add(l.counter(module, event, event_energy_pj(event, t)), count);
}

void book_reads(hw::Ledger& l, const std::string& module, double cells, const AnalogRates& r, const EnergyTables& t) {
  const double pj = r.measured ? r.read_pj_per_cell : table_read_pj_per_cell(t);
  l.add_integrated(l.counter(module, "crossbar_read", 0.0), cells, cells * pj);
}

std::string layer_module(const char* what, int k) { return fmt::format("{}.layer{}", what, k); }

// The label of the top read-out layer (+1): how far an FF inference pass goes.
int ff_top(const EnergyNet& net) {
  const std::vector<int> chosen = net.readout.empty() ? default_readout_layers(net.layers()) : net.readout;
  return *std::max_element(chosen.begin(), chosen.end()) + 1;
}

}  // namespace

void EnergyNet::validate() const {
  require(sizes.size() >= 2, "the network needs inputs and at least one layer, got {} sizes", sizes.size());
  for (int s : sizes) require(s >= 1, "every layer needs at least one unit, got {}", s);
  require(classes >= 2, "classes must be at least 2, got {}", classes);
  require(batch >= 1, "batch must be at least 1, got {}", batch);
  require(tile_rows >= 1 && tile_cols >= 1, "the crossbar tile needs at least one row and column");
  for (int k : readout) require(k >= 0 && k < layers(), "read-out layer {} is not one of the {} layers", k, layers());
}

std::vector<int> EnergyNet::bp_sizes() const {
  std::vector<int> s = sizes;
  s.push_back(classes);
  return s;
}

double table_read_pj_per_cell(const EnergyTables& t) {
  // V^2 [V^2] * G [uS] * t [ns] = 1e-15 J = 1e-3 pJ, per device, times the devices of a weight.
  const double v = t.value("analog.v_read_v");
  return v * v * t.value("analog.cell_conductance_us") * t.value("analog.t_read_ns") * 1e-3 *
         t.value("analog.devices_per_weight");
}

double adc_conversion_pj(const EnergyTables& t) {
  return t.value("adc.walden_fom_fj_per_step") * std::pow(2.0, t.value("adc.enob")) * 1e-3;
}

double event_energy_pj(const std::string& event, const EnergyTables& t) {
  if (event == "dac_conversion") return t.value("analog.dac_conversion_pj");
  if (event == "adc_conversion" || event == "weight_readout_adc") return adc_conversion_pj(t);
  if (event == "pulse" || event == "program_pulse") return t.value("analog.pulse_pj");
  if (event == "relu_op" || event == "normaliser_op" || event == "squarer_op" || event == "sigmoid_op" ||
      event == "pulse_gen_op" || event == "charge_share")
    return t.value("analog.periphery_op_pj");
  if (event == "crossbar_read") return 0.0;  // integrated by the chip: V^2 G t of the cells read
  // The digital parts of the analog-BP chip: element-wise float operations and activation storage.
  if (event == "digital_op") return t.value("cmos45.fp32_add_pj");
  if (event == "sram_byte") return t.value("cmos45.sram_32kb_64bit_pj") / 8;
  fail("ledger event '{}' has no energy in the tables (known: dac_conversion, adc_conversion, "
       "weight_readout_adc, pulse, program_pulse, relu_op, normaliser_op, squarer_op, sigmoid_op, pulse_gen_op, "
       "charge_share, crossbar_read, digital_op, sram_byte)",
       event);
}

void check_ledger_record(const nlohmann::json& record) {
  require(record.is_object() && record.contains("counters") && record["counters"].is_array(),
          "a ledger record needs a \"counters\" list");
  for (const auto& c : record["counters"])
    require(c.is_object() && c.contains("module") && c["module"].is_string() && c.contains("event") &&
                c["event"].is_string() && c.contains("count") && c["count"].is_number() &&
                c.contains("integrated_pj") && c["integrated_pj"].is_number(),
            "ledger record: a counter needs a module and an event (text), a count and integrated_pj (numbers), got {}",
            c.dump());
}

hw::Ledger recost_ledger(const nlohmann::json& record, const EnergyTables& t) {
  check_ledger_record(record);
  hw::Ledger l;
  for (const auto& c : record["counters"]) {
    const std::string module = c["module"].get<std::string>(), event = c["event"].get<std::string>();
    const double count = c["count"].get<double>(), integrated = c["integrated_pj"].get<double>();
    require(std::isfinite(count) && count >= 0 && std::isfinite(integrated) && integrated >= 0,
            "ledger record: counter {}/{} holds count {} and energy {} pJ; both must be finite and not negative",
            module, event, count, integrated);
    l.add_integrated(l.counter(module, event, event_energy_pj(event, t)), count, integrated);
  }
  return l;
}

AnalogRates analog_rates(const nlohmann::json& record, const EnergyNet& net, double images) {
  require(images > 0, "a training ledger of {} images gives no rate", images);
  check_ledger_record(record);
  double pulses = 0, reads = 0, read_pj = 0;
  for (const auto& c : record.at("counters")) {
    const std::string event = c.at("event").get<std::string>();
    if (event == "pulse") pulses += c.at("count").get<double>();
    if (event == "crossbar_read") {
      reads += c.at("count").get<double>();
      read_pj += c.at("integrated_pj").get<double>();
    }
  }
  double weights = 0;
  for (int k = 0; k < net.layers(); ++k) weights += (net.sizes[std::size_t(k)] + 1.0) * net.sizes[std::size_t(k) + 1];
  AnalogRates r;
  r.measured = true;
  r.pulses_per_weight_row = pulses / (weights * 2 * images);  // two rows per image: positive and negative
  r.read_pj_per_cell = reads > 0 ? read_pj / reads : 0.0;
  return r;
}

hw::Ledger per_image(const hw::Ledger& l, double images) {
  require(images > 0, "per image of {} images", images);
  hw::Ledger p;
  for (const auto& c : l.counters())
    p.add_integrated(p.counter(c.module, c.event, c.energy_per_event_pj), c.count / images, c.integrated_pj / images);
  return p;
}

hw::Ledger with_overhead(const hw::Ledger& l, const EnergyTables& t) {
  const double f = t.value("analog.overhead_factor");
  require(f >= 1, "analog.overhead_factor = {}: below 1 the chip would spend less than its own counted events", f);
  hw::Ledger o = l;
  // One "overhead" event per pJ of counted events, at (f - 1) pJ each.
  if (f != 1) o.add(o.counter("chip", "overhead", f - 1), l.total_energy_pj());
  return o;
}

hw::Ledger ff_analog_training(const EnergyNet& net, const AnalogRates& r, const EnergyTables& t,
                              bool adc_learning_path) {
  net.validate();
  constexpr double R = 2;  // rows per image: positive and negative
  hw::Ledger l;
  const int L = net.layers();
  for (int k = 0; k < L; ++k) {
    const std::string m = layer_module("ff", k);
    const double in = net.sizes[std::size_t(k)] + 1.0, out = net.sizes[std::size_t(k) + 1];
    if (k == 0) book(l, m + ".dac", "dac_conversion", R * in * tiles(int(out), net.tile_cols), t);
    book_reads(l, m, R * in * out, r, t);
    book(l, m + ".relu", "relu_op", R * out, t);
    book(l, m + ".goodness", "squarer_op", R * out, t);
    book(l, m + ".sigmoid", "sigmoid_op", R, t);
    book(l, m + ".pulse_gen", "pulse_gen_op", R * (in + out), t);
    book(l, m, "pulse", r.pulses_per_weight_row * R * in * out, t);
    if (k + 1 < L) book(l, m + ".normaliser", "normaliser_op", R * out, t);
  }
  if (adc_learning_path) l.add_all(ff_learning_path_converters(net, t));
  return with_overhead(l, t);
}

hw::Ledger ff_learning_path_converters(const EnergyNet& net, const EnergyTables& t) {
  net.validate();
  constexpr double R = 2;
  hw::Ledger l;
  for (int k = 0; k < net.layers(); ++k) {
    const std::string m = layer_module("ff", k);
    const double in = net.sizes[std::size_t(k)] + 1.0, out = net.sizes[std::size_t(k) + 1];
    book(l, m + ".learning_adc", "adc_conversion", R * out, t);
    if (k > 0) book(l, m + ".learning_dac", "dac_conversion", R * in * tiles(int(out), net.tile_cols), t);
  }
  return l;
}

hw::Ledger ff_analog_inference(const EnergyNet& net, const AnalogRates& r, const EnergyTables& t,
                               bool adc_learning_path) {
  net.validate();
  const double C = net.classes;  // the image under every label
  const int top = ff_top(net);
  hw::Ledger l;
  for (int k = 0; k < top; ++k) {
    const std::string m = layer_module("ff", k);
    const double in = net.sizes[std::size_t(k)] + 1.0, out = net.sizes[std::size_t(k) + 1];
    const double dacs = C * in * tiles(int(out), net.tile_cols);
    if (k == 0) book(l, m + ".dac", "dac_conversion", dacs, t);
    book_reads(l, m, C * in * out, r, t);
    book(l, m + ".relu", "relu_op", C * out, t);
    book(l, m + ".goodness", "squarer_op", C * out, t);
    if (k + 1 < top) book(l, m + ".normaliser", "normaliser_op", C * out, t);
    if (adc_learning_path) {
      book(l, m + ".learning_adc", "adc_conversion", C * out, t);
      if (k > 0) book(l, m + ".learning_dac", "dac_conversion", dacs, t);
    }
  }
  // The winner-take-all over the labels' goodness sums, encoded: one conversion (sim/insitu_ff.cpp).
  book(l, "ff.label_readout", "adc_conversion", 1, t);
  return with_overhead(l, t);
}

namespace {

// BP's forward pass on crossbars for one image: DAC in, product, ADC out, digital ReLU / softmax; every
// layer's input kept in SRAM for the update (written, read back).
void bp_forward(hw::Ledger& l, const EnergyNet& net, const AnalogRates& r, const EnergyTables& t, bool training) {
  const std::vector<int> s = net.bp_sizes();
  const int L = int(s.size()) - 1;
  for (int k = 0; k < L; ++k) {
    const std::string m = layer_module("bp", k);
    const double in = s[std::size_t(k)] + 1.0, out = s[std::size_t(k) + 1];
    book(l, m + ".dac", "dac_conversion", in * tiles(int(out), net.tile_cols), t);
    book_reads(l, m, in * out, r, t);
    book(l, m + ".adc", "adc_conversion", out, t);
    if (k + 1 < L)
      book(l, m + ".digital", "digital_op", out, t);  // ReLU
    else
      book(l, m + ".digital", "digital_op", training ? 6 * out + 2 : out, t);  // softmax and loss gradient, or argmax
    if (training) book(l, m + ".activations", "sram_byte", 2 * (in - 1) * t.value("analog.activation_bytes"), t);
  }
}

}  // namespace

hw::Ledger bp_analog_training(const EnergyNet& net, const AnalogRates& r, const EnergyTables& t) {
  net.validate();
  hw::Ledger l;
  bp_forward(l, net, r, t, true);
  const std::vector<int> s = net.bp_sizes();
  const int L = int(s.size()) - 1;
  for (int k = L - 1; k >= 0; --k) {
    const std::string m = layer_module("bp", k);
    const double in = s[std::size_t(k)] + 1.0, out = s[std::size_t(k) + 1];
    if (k > 0) {
      // The delta below: the transposed product, the deltas driven onto the columns (a DAC bank per row
      // tile), an ADC on every row output but the bias row's, the ReLU's derivative digital.
      book(l, m + ".backward_dac", "dac_conversion", out * tiles(int(in), net.tile_rows), t);
      book_reads(l, m + ".backward", in * out, r, t);
      book(l, m + ".backward_adc", "adc_conversion", in - 1, t);
      book(l, m + ".digital", "digital_op", in - 1, t);
    }
    // The outer-product update by pulse coincidence: row and column pulse trains, one row per image.
    book(l, m + ".pulse_gen", "pulse_gen_op", in + out, t);
    book(l, m, "pulse", r.pulses_per_weight_row * in * out, t);
  }
  return with_overhead(l, t);
}

hw::Ledger bp_analog_inference(const EnergyNet& net, const AnalogRates& r, const EnergyTables& t) {
  net.validate();
  hw::Ledger l;
  bp_forward(l, net, r, t, false);
  return with_overhead(l, t);
}

std::string to_string(DigitalPlatform p) { return p == DigitalPlatform::cmos45 ? "45nm" : "h100"; }

hw::Ledger digital_ledger(const BpWork& w, DigitalPlatform p, const EnergyTables& t) {
  hw::Ledger l;
  if (p == DigitalPlatform::cmos45) {
    // fp32 arithmetic; parameters, gradients and optimiser state in DRAM, activations in a 32 kB SRAM.
    const std::string m = "digital.45nm";
    l.add(l.counter(m, "fp32_mac", t.value("cmos45.fp32_mult_pj") + t.value("cmos45.fp32_add_pj")), w.macs);
    l.add(l.counter(m, "fp32_op", t.value("cmos45.fp32_add_pj")), w.other_flops);
    l.add(l.counter(m, "dram_byte", t.value("cmos45.dram_64bit_pj") / 8), w.param_bytes());
    l.add(l.counter(m, "sram_byte", t.value("cmos45.sram_32kb_64bit_pj") / 8), w.activation_bytes());
  } else {
    // Every FLOP at the board's power per FLOP at the training utilisation; parameter traffic to HBM;
    // activations stay on chip, inside the board's power.
    const std::string m = "digital.h100";
    l.add(l.counter(m, "flop", t.value("h100.pj_per_flop") / t.value("h100.utilization")), w.flops());
    l.add(l.counter(m, "hbm_byte", t.value("h100.hbm_pj_per_byte")), w.param_bytes());
  }
  return l;
}

}  // namespace mortal
