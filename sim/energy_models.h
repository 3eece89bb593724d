#pragma once
// What a training image and an inference image cost on each platform, each as a ledger of counted events
// (hw/energy.h) with energies per event from the energy tables (sim/energy_tables.h): a breakdown is the
// ledger's table, a total is counts times energies, and the same events cost FF and BP alike.
//
// Platforms and what each charges:
//  - the analog chip: FF in situ from a run's own ledger (counts as recorded, energies per event from the
//    tables), or counted here the way the chip books them (hw/crossbar_read.cpp, hw/periphery.cpp,
//    sim/insitu_ff.cpp): the first layer's DAC bank per column tile, every cell read, the analog ReLU,
//    squarer, sigmoid, normaliser and pulse generators per value, the pulses at the rate a run measured;
//  - FF on the chip with an ADC on every column output of the learning path (and a DAC on every hidden
//    layer's input it then drives), the rest as above;
//  - BP on analog crossbars: forward and backward products on the crossbars with a DAC on every input and
//    an ADC on every output of both passes, activations stored digitally between them (SRAM), ReLU,
//    softmax and the ReLU's derivative digital, the outer-product update by pulse coincidence at the rate
//    FF's run measured per weight and row;
//  - digital FF and BP from FLOP and memory-traffic counts (model/ff_cost.h, model/bp_cost.h) on a 45 nm
//    chip (Horowitz) or an H100.
// Every analog ledger is multiplied by analog.overhead_factor (booked as an "overhead" event when not 1).
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "hw/energy.h"
#include "model/bp_cost.h"
#include "sim/energy_tables.h"

namespace mortal {

// The network costed.
struct EnergyNet {
  std::vector<int> sizes;        // features, then the FF layers' (BP's hidden layers') units: {784, 1000, 1000}
  int classes = 10;              // FF's labels; BP's output layer
  int batch = 100;               // images per step: parameter traffic and optimiser work are shared by them
  std::vector<int> readout;      // FF's goodness read-out layers (empty: all but the first)
  int tile_rows = 256;           // the crossbar tile (hw/crossbar.h max_rows, max_cols): a DAC bank per
  int tile_cols = 256;           // column tile, as the chip books them
  void validate() const;
  std::vector<int> bp_sizes() const;  // sizes, then classes
  int layers() const { return int(sizes.size()) - 1; }
};

// Figures of a real run that the counted models borrow.
struct AnalogRates {
  double read_pj_per_cell = 0;        // crossbar read energy per cell read (V^2 G t integrated by the chip)
  double pulses_per_weight_row = 0;   // update pulses per weight per training row
  bool measured = false;              // false: read energy from the tables, no pulses
};

// V^2 G t of one weight's devices at the tables' mean conductance, in pJ.
double table_read_pj_per_cell(const EnergyTables& t);
// One ADC conversion: Walden figure of merit * 2^ENOB, in pJ.
double adc_conversion_pj(const EnergyTables& t);
// The energy per event of a ledger event kind, from the tables; refuses an event it does not know.
double event_energy_pj(const std::string& event, const EnergyTables& t);

// Refuses a ledger record whose counters lack a module, an event, a count or an integrated energy.
void check_ledger_record(const nlohmann::json& record);
// A run's ledger record (energy_training or energy_total of an ff_mnist results file) costed with the
// tables: counts as recorded, crossbar reads keep the energy the chip integrated.
hw::Ledger recost_ledger(const nlohmann::json& record, const EnergyTables& t);
// Pulses per weight and row, and read energy per cell, of a training ledger record of `images` images.
AnalogRates analog_rates(const nlohmann::json& record, const EnergyNet& net, double images);

// Every count and integral divided by `images`: per image.
hw::Ledger per_image(const hw::Ledger& l, double images);
// l with analog.overhead_factor applied (an "overhead" counter for the difference), per hw::Ledger rules.
hw::Ledger with_overhead(const hw::Ledger& l, const EnergyTables& t);

// Per image, counted. adc_learning_path: an ADC on every column output (and a DAC on each hidden input).
hw::Ledger ff_analog_training(const EnergyNet& net, const AnalogRates& r, const EnergyTables& t,
                              bool adc_learning_path);
hw::Ledger ff_analog_inference(const EnergyNet& net, const AnalogRates& r, const EnergyTables& t,
                               bool adc_learning_path);
// What an ADC on every column output of the learning path adds to a training image.
hw::Ledger ff_learning_path_converters(const EnergyNet& net, const EnergyTables& t);
hw::Ledger bp_analog_training(const EnergyNet& net, const AnalogRates& r, const EnergyTables& t);
hw::Ledger bp_analog_inference(const EnergyNet& net, const AnalogRates& r, const EnergyTables& t);

enum class DigitalPlatform { cmos45, h100 };
std::string to_string(DigitalPlatform p);
// The work of one image on a digital platform.
hw::Ledger digital_ledger(const BpWork& w, DigitalPlatform p, const EnergyTables& t);

}  // namespace mortal
