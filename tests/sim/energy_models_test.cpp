#include "sim/energy_models.h"

#include <catch2/catch.hpp>

#include "core/error.h"
#include "model/ff_cost.h"

using namespace mortal;

namespace {

const std::string kModelsTables = std::string(MORTAL_SOURCE_DIR) + "/energy";

EnergyNet net_784_1000_1000() {
  EnergyNet n;
  n.sizes = {784, 1000, 1000};
  return n;
}

// Sum of count x energy per event + integrated energy, counter by counter.
double counted_total(const hw::Ledger& l) {
  double e = 0;
  for (const auto& c : l.counters()) e += c.count * c.energy_per_event_pj + c.integrated_pj;
  return e;
}

double count_of(const hw::Ledger& l, const std::string& event) {
  double n = 0;
  for (const auto& c : l.counters())
    if (c.event == event) n += c.count;
  return n;
}

AnalogRates some_rates() {
  AnalogRates r;
  r.measured = true;
  r.read_pj_per_cell = 2e-5;
  r.pulses_per_weight_row = 0.003;
  return r;
}

}  // namespace

TEST_CASE("every costed ledger's total is its counts times the tables' energies", "[energy]") {
  const EnergyTables t = EnergyTables::load(kModelsTables);
  const EnergyNet n = net_784_1000_1000();
  const AnalogRates r = some_rates();
  BpMlpParams bp;
  bp.sizes = n.bp_sizes();
  for (const hw::Ledger& l :
       {ff_analog_training(n, r, t, false), ff_analog_training(n, r, t, true), ff_analog_inference(n, r, t, false),
        bp_analog_training(n, r, t), bp_analog_inference(n, r, t),
        digital_ledger(bp_training_cost(bp, 100).total(), DigitalPlatform::cmos45, t),
        digital_ledger(ff_training_cost(n.sizes, 100, BpOptimizer::sgd).total(), DigitalPlatform::h100, t)}) {
    REQUIRE(l.total_energy_pj() > 0);
    CHECK(l.total_energy_pj() == Approx(counted_total(l)).epsilon(1e-12));
    for (const auto& c : l.counters())
      if (c.event != "crossbar_read" && c.event != "overhead" && c.module.rfind("digital.", 0) != 0) {
        INFO(c.module << " " << c.event);
        CHECK(c.energy_per_event_pj == event_energy_pj(c.event, t));
      }
  }
}

TEST_CASE("a digital ledger charges each count at its table's energy", "[energy]") {
  const EnergyTables t = EnergyTables::load(kModelsTables);
  BpWork w;
  w.macs = 1000;
  w.other_flops = 100;
  w.param_bytes_read = 80;
  w.activation_bytes_written = 16;
  const double e45 = 1000 * (3.7 + 0.9) + 100 * 0.9 + 80 * 1300.0 / 8 + 16 * 20.0 / 8;
  CHECK(digital_ledger(w, DigitalPlatform::cmos45, t).total_energy_pj() == Approx(e45));
  const double eh = 2100 * t.value("h100.pj_per_flop") / t.value("h100.utilization") + 80 * t.value("h100.hbm_pj_per_byte");
  CHECK(digital_ledger(w, DigitalPlatform::h100, t).total_energy_pj() == Approx(eh));
}

TEST_CASE("the counted FF model books what the chip books per training image", "[energy]") {
  const EnergyTables t = EnergyTables::load(kModelsTables);
  const AnalogRates r = some_rates();
  const hw::Ledger l = ff_analog_training(net_784_1000_1000(), r, t, false);
  // Two rows (positive, negative); the first layer's 785 inputs (bias included) through a DAC bank per
  // column tile of 256 (4 tiles for 1000 outputs), as hw/crossbar_read.cpp books them.
  CHECK(count_of(l, "dac_conversion") == 2 * 785 * 4);
  CHECK(count_of(l, "crossbar_read") == 2 * (785.0 * 1000 + 1001.0 * 1000));
  CHECK(count_of(l, "relu_op") == 2 * 2000);
  CHECK(count_of(l, "normaliser_op") == 2 * 1000);  // every layer but the last passes its activity on
  CHECK(count_of(l, "sigmoid_op") == 2 * 2);
  CHECK(count_of(l, "pulse_gen_op") == 2 * (785 + 1000 + 1001 + 1000));
  CHECK(count_of(l, "pulse") == Approx(0.003 * 2 * (785.0 * 1000 + 1001.0 * 1000)));
  CHECK(count_of(l, "adc_conversion") == 0);  // nothing digitised on the learning path
  // With an ADC on every column output, and a DAC on the second layer's inputs it then drives:
  const hw::Ledger a = ff_analog_training(net_784_1000_1000(), r, t, true);
  CHECK(count_of(a, "adc_conversion") == 2 * 2000);
  CHECK(count_of(a, "dac_conversion") == 2 * 785 * 4 + 2 * 1001 * 4);
}

TEST_CASE("BP on crossbars converts every input and output of both passes", "[energy]") {
  const EnergyTables t = EnergyTables::load(kModelsTables);
  EnergyNet n;
  n.sizes = {784, 100};
  const hw::Ledger l = bp_analog_training(n, some_rates(), t);
  // Forward: 785 and 101 inputs (one column tile each), 100 and 10 outputs; backward through the second
  // layer only: 10 deltas in, 100 outputs (the bias row's is not needed).
  CHECK(count_of(l, "dac_conversion") == 785 + 101 + 10);
  CHECK(count_of(l, "adc_conversion") == 100 + 10 + 100);
  CHECK(count_of(l, "crossbar_read") == 785.0 * 100 + 101.0 * 10 + 101.0 * 10);
  CHECK(count_of(l, "sram_byte") == 2 * (784 + 100) * t.value("analog.activation_bytes"));
  CHECK(count_of(l, "pulse_gen_op") == 785 + 100 + 101 + 10);
  const hw::Ledger i = bp_analog_inference(n, some_rates(), t);
  CHECK(count_of(i, "adc_conversion") == 110);
  CHECK(count_of(i, "pulse") == 0);
}

TEST_CASE("a run's ledger is costed with the tables' energies, its integrated reads kept", "[energy]") {
  EnergyTables t = EnergyTables::load(kModelsTables);
  const nlohmann::json record = {
      {"counters",
       {{{"module", "ff.layer0.dac"}, {"event", "dac_conversion"}, {"count", 100.0}, {"integrated_pj", 0.0},
         {"energy_per_event_pj", 0.55}},
        {{"module", "ff.layer0"}, {"event", "crossbar_read"}, {"count", 1e6}, {"integrated_pj", 3.0},
         {"energy_per_event_pj", 0.0}},
        {{"module", "ff.layer0"}, {"event", "pulse"}, {"count", 40.0}, {"integrated_pj", 0.0},
         {"energy_per_event_pj", 1.0}}}}};
  t.override_setting("analog.pulse_pj=10");
  const hw::Ledger l = recost_ledger(record, t);
  CHECK(l.total_energy_pj() == Approx(100 * 0.55 + 3.0 + 40 * 10.0));
  EnergyNet n;
  n.sizes = {9, 1};  // 10 inputs with the bias, 1 output: 10 weights
  const AnalogRates r = analog_rates(record, n, 2);
  CHECK(r.pulses_per_weight_row == Approx(40.0 / (10 * 2 * 2)));
  CHECK(r.read_pj_per_cell == Approx(3e-6));
  nlohmann::json odd = record;
  odd["counters"][0]["event"] = "teleport";
  CHECK_THROWS_WITH(recost_ledger(odd, t), Catch::Matchers::Contains("teleport"));
}

TEST_CASE("the overhead factor adds exactly its share of the counted events", "[energy]") {
  EnergyTables t = EnergyTables::load(kModelsTables);
  const EnergyNet n = net_784_1000_1000();
  const double base = bp_analog_training(n, some_rates(), t).total_energy_pj();
  t.override_setting("analog.overhead_factor=1.9");
  CHECK(bp_analog_training(n, some_rates(), t).total_energy_pj() == Approx(1.9 * base));
  t.override_setting("analog.overhead_factor=0.5");
  CHECK_THROWS_WITH(bp_analog_training(n, some_rates(), t), Catch::Matchers::Contains("overhead_factor"));
}
