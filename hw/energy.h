#pragma once
// The energy ledger: one per run, shared by every module. A module registers one counter per event kind
// (module path + event name + energy per event) once, and the hot path only adds to a count. Energy is
// count x energy per event, plus, for events whose energy is a physical integral (a crossbar read is
// sum V^2 G t), the integral the module accumulated. The breakdown is computed when the ledger is dumped.
#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace mortal::hw {

// Energy per event. Sources in shared/REFERENCES.md; each default names its source. The energy tables
// (energy/analog_chip.toml, read by mortal_energy) hold the same defaults; a test keeps them equal.
struct EnergyParams {
  // ADC sample, ENOB 7-8.5 (Murmann ADC survey, designs 2015+): 6.5 pJ. (ENOB 3.5-5.5: 2.2 pJ.)
  double adc_conversion_pj = 6.5;
  // DAC sample: no survey figure in REFERENCES.md; assumed a quarter of a low-resolution ADC sample
  // (Murmann, ENOB 3.5-5.5: 2.2 pJ), i.e. 0.55 pJ. Replace when a measured figure is at hand.
  double dac_conversion_pj = 0.55;
  // One programming pulse on one device: RRAM 0.1-10 pJ, PCM 10-100 pJ [secondary]; 1 pJ default.
  double pulse_pj = 1.0;
  // (A crossbar read is not a fixed energy: the crossbar integrates V^2 G t from its own v_read_v and
  // t_read_ns, see hw/crossbar.h.)
  // Analog periphery operations (ReLU, normaliser, squarer, sigmoid, pulse-generator channel): no measured
  // figure at hand; costed as an int8 multiply at 45 nm (0.2 pJ, Horowitz ISSCC 2014) each.
  double periphery_op_pj = 0.2;
  // Digital baseline (Horowitz ISSCC 2014, 45 nm): fp32 multiply 3.7 pJ + add 0.9 pJ; SRAM 64-bit read
  // from 32 KB 20 pJ; DRAM 64-bit access 1.3-2.6 nJ (low end).
  double fp32_mac_pj = 4.6;
  double sram_read_64bit_pj = 20.0;
  double dram_access_64bit_pj = 1300.0;

  void validate() const;
};

class Ledger {
 public:
  using Handle = std::size_t;

  explicit Ledger(EnergyParams params = {});

  const EnergyParams& params() const { return params_; }

  // The counter of (module, event); registered on first use with its energy per event. Registering an
  // existing pair returns the same handle (a re-seeded chip keeps its counters).
  Handle counter(const std::string& module, const std::string& event, double energy_per_event_pj);

  // Hot path: add events; add events whose energy was integrated by the caller.
  void add(Handle h, double events) { counters_[h].count += events; }
  void add_integrated(Handle h, double events, double energy_pj) {
    counters_[h].count += events;
    counters_[h].integrated_pj += energy_pj;
  }

  struct Counter {
    std::string module;
    std::string event;
    double energy_per_event_pj = 0.0;
    double count = 0.0;
    double integrated_pj = 0.0;
    double energy_pj() const { return count * energy_per_event_pj + integrated_pj; }
  };
  const std::vector<Counter>& counters() const { return counters_; }
  const Counter& at(Handle h) const { return counters_[h]; }

  double total_energy_pj() const;
  // Energy of every counter whose event name is `event`, over all modules.
  double energy_pj_of_event(const std::string& event) const;
  // Energy of every counter whose module path starts with `module_prefix`.
  double energy_pj_of_module(const std::string& module_prefix) const;

  // Zero all counts (counters stay registered).
  void reset();
  // This ledger's counts minus `other`'s (matched by module and event; e.g. a copy taken earlier), and
  // the counts of `other` added to this one: what a part of a run cost, kept aside.
  Ledger minus(const Ledger& other) const;
  void add_all(const Ledger& other);
  // Set every count from a to_json() record (a resumed run continues its predecessor's ledger); counters
  // not registered yet are registered with the recorded energy per event.
  void restore(const nlohmann::json& record);

  // {"total_energy_pj": ..., "counters": [{"module", "event", "count", "energy_per_event_pj",
  //  "integrated_pj", "energy_pj"}...], "by_event": {event: energy_pj}}
  nlohmann::json to_json() const;
  // A fixed-width table: module, event, count, energy per event, energy, share of total.
  std::string table() const;

 private:
  EnergyParams params_;
  std::vector<Counter> counters_;
};

}  // namespace mortal::hw
