#pragma once
// A chip: one mortal individual. Its seed draws every device and periphery variation, so two seeds are
// two different chips of one preset. Each layer is a tile module (crossbar + converters) offered to
// learning code as a mortal::SynapticArray, with its own analog periphery (ReLU, length normaliser,
// goodness integrator, sigmoid learning-signal unit) for the FF-in-situ work.
//
// Time. Operations called from outside SystemC processes (a trainer in sc_main) happen at the chip's
// local time now_s() = sc_time_stamp() + time not yet handed to the kernel; each call adds its duration
// and the chip runs the kernel up to its local time once sync_quantum_ns has piled up (0: after every
// call), like a TLM quantum keeper. idle(seconds) is one sc_start of that length, or, past the kernel's
// horizon, time skipped (hw/clock.h): drift follows sim_now_s(), nothing is computed while idle except the
// faults that appear with age (DeviceParams::stuck_per_day).
//
// Use (SystemC elaborates once per process: build every chip and pipeline before the first operation):
//   hw::Ledger ledger;                                    // one per run
//   hw::ChipParams p = hw::chip_preset("pcm", {784, 1000, 1000});
//   p.crossbar.dac.range = 4;                             // input full scale, in the caller's units
//   hw::Chip teacher("teacher", p, ledger, 1), student("student", p, ledger, 2);
//   student.program(0, w0);                               // program-and-verify, or train from zero
//   SynapticArray& l0 = student.layer(0);                 // what model/ FF code drives
//   l0.forward(z, x); l0.update(x, d, lr);                // each takes its simulated time and energy
//   student.relu(0).apply(y, z, student.rng());           // periphery: book its time yourself:
//   student.advance_ns(student.relu(0).time_ns(batch));
//   student.idle(86400);                                  // a day later
//   student.reseed(3); student.program(0, w0);            // next sweep point, same process
//   ledger.to_json(); ledger.table();                     // energy breakdown
#include <systemc>

#include <cstdint>
#include <memory>
#include <vector>

#include "core/checkpoint.h"
#include "core/synaptic_array.h"
#include "hw/clock.h"
#include "hw/crossbar.h"
#include "hw/periphery.h"
#include "hw/tile_module.h"

namespace mortal::hw {

// What differs between the layers of one chip: the weight a full device range stands for (user units),
// the input full scale (DAC range, or the driver swing of analog inputs; user units) and the output full
// scale (ADC range or TIA swing; normalised units). 0 keeps the crossbar's value.
struct LayerScale {
  double w_scale = 0.0;
  double input_range = 0.0;
  double output_range = 0.0;
};

constexpr int kMaxWeightCopies = 16;
// The constant drive of a layer's bias row (ChipParams::bias_row), in input units.
constexpr float kBiasDrive = 1.0f;

struct ChipParams {
  std::vector<int> sizes = {784, 1000};  // layer k maps sizes[k] inputs to sizes[k+1] outputs
  CrossbarParams crossbar = crossbar_preset("pcm");
  AnalogParams relu, normaliser, goodness, sigmoid;
  // A damping stage after every layer's ReLU (hw::DampingStage), for the recurrent net: built only when on.
  bool damping_stage = false;
  AnalogParams damping;
  std::vector<LayerScale> scales;  // empty (the crossbar's for every layer) or one per layer
  // Every layer gets one more input row, driven at a constant by the caller: it carries the biases.
  bool bias_row = false;
  // Extra arrays beside every layer, of the weights' shape, for whatever a learning rule keeps beside them
  // (sim/rules/): one per name, in this order. A name is the array's ledger module (<layer>.<name>), its
  // checkpoint key and the random stream its devices are drawn from. They are written by pulse coincidence
  // and read row by row like the weights.
  std::vector<std::string> extra_arrays;
  // The extra arrays' devices: empty, the weights' own (crossbar); else the name of the preset whose
  // crossbar `second` holds (e.g. capacitor cells beside ReRAM weights). The layer scales apply to both.
  std::string second_device;
  CrossbarParams second;
  // Devices per weight (a multi-memristive synapse: Boybat et al. 2018): every layer's weights are held on
  // this many arrays of the weights' devices, side by side, driven by the same row voltages; each is
  // written the same change by its own pulses, and a summing stage averages their column outputs (each
  // array keeps its own amplifiers and their noise). A weight is the mean of its copies: the noise of its
  // writes falls as 1 / copies in variance while its range stays the device's.
  int weight_copies = 1;
  // Which cross-points of each layer hold a pair of devices (Crossbar::connect): empty, all of every layer;
  // else one mask per layer, (sizes[k + 1], sizes[k] + the bias row), 1 where a pair sits, 0 where none was
  // built, or an empty one for a dense layer. The weights' copies and the extra arrays are built alike.
  std::vector<Mat> connectivity;
  double sync_quantum_ns = 0.0;
  void validate() const;
  // The extra arrays of another device preset: second_device = name, second = its crossbar preset.
  void set_second_device(const std::string& name);
  // The crossbar parameters of layer k (its scales filled in), and of its extra arrays.
  CrossbarParams layer_crossbar(int k) const;
  CrossbarParams second_crossbar(int k) const;
  // c with layer k's scales filled in.
  CrossbarParams scaled(CrossbarParams c, int k) const;
};

// A chip of one device preset (see crossbar_preset) with the given layer sizes.
ChipParams chip_preset(const std::string& device, std::vector<int> sizes);

class Chip;

// One layer of a chip as the learning rules see it. Every call takes simulated time and energy.
class ChipLayer : public SynapticArray {
 public:
  ChipLayer(Chip& chip, int index) : chip_(&chip), index_(index) {}
  int inputs() const override;
  int outputs() const override;
  void forward(MatRef z, ConstMatRef x) override;
  void update(ConstMatRef x, ConstMatRef d, float lr) override;
  // A full read-out: every cross-point read through the ADCs, row by row (the mean over the weights'
  // copies).
  void read_weights(MatRef w) override;

 private:
  Chip* chip_;
  int index_;
};

class Chip : public sc_core::sc_module {
 public:
  Chip(sc_core::sc_module_name name, const ChipParams& params, Ledger& ledger, std::uint64_t seed);

  int layers() const { return int(tiles_.size()); }
  SynapticArray& layer(int k) { return *arrays_.at(std::size_t(k)); }
  TileModule& tile(int k) { return *tiles_.at(std::size_t(k)); }
  // Copy c (0 .. weight_copies() - 1) of layer k's weights; copy 0 is the tile's core.
  int weight_copies() const { return p_.weight_copies; }
  Crossbar& weights(int k, int c = 0);
  // Layer k's weights as one layer over all their copies, at time t_s, each returning its duration (the
  // copies work in parallel). forward_at: the inputs as the first copy drives them (after its DAC, if
  // any) drive every copy's rows; the column outputs are averaged. update_at and write_weight_rows give
  // every copy the same change, each by its own pulses (Crossbar::update, Crossbar::write_rows).
  OpTime forward_at(int k, MatRef z, ConstMatRef x, double t_s, FastRng& rng, ForwardIO io = {});
  OpTime update_at(int k, ConstMatRef x, ConstMatRef d, float lr, double t_s, FastRng& rng);
  OpTime write_weight_rows(int k, ConstMatRef delta, int row0, double t_s, FastRng& rng,
                           Crossbar::RowWrite mode = Crossbar::RowWrite::stochastic);
  // Extra array i (ChipParams::extra_arrays) beside layer k.
  int extra_arrays() const { return int(p_.extra_arrays.size()); }
  Crossbar& extra(int k, int i) { return *extra_.at(std::size_t(k)).at(std::size_t(i)); }
  const Crossbar& extra(int k, int i) const { return *extra_.at(std::size_t(k)).at(std::size_t(i)); }
  AnalogRelu& relu(int k) { return *relu_.at(std::size_t(k)); }
  LengthNormaliser& normaliser(int k) { return *norm_.at(std::size_t(k)); }
  GoodnessIntegrator& goodness(int k) { return *goodness_.at(std::size_t(k)); }
  SigmoidUnit& sigmoid(int k) { return *sigmoid_.at(std::size_t(k)); }
  // Layer k's damping stage (ChipParams::damping_stage).
  DampingStage& damping(int k);
  const ChipParams& params() const { return p_; }
  Ledger& ledger() { return *ledger_; }
  std::uint64_t seed() const { return seed_; }

  // Become another individual of the same design: redraw every variation from `seed` and restart the
  // cycle-to-cycle noise stream. Weights must be programmed again.
  void reseed(std::uint64_t seed);
  // Program-and-verify layer k to w (out, in), every copy of its weights, taking its time.
  void program(int k, ConstMatRef w);
  // Layer k's weights as a read-out through its ADCs finds them (Crossbar::read_out; the mean over the
  // copies, read one after another), taking its time. w: (out, in), user units.
  void read_out(int k, MatRef w, FastRng& rng, int repeats = 1);
  // Every extra array of every layer programmed to zero (a rule's arrays as a fresh chip has them).
  void clear_extra_arrays();
  // Global drift compensation (Crossbar::calibrate_drift) of every layer's weights, each copy with its own
  // gain, probed with one row of ones at full drive; each takes its time. reset_drift_compensation gives
  // the outputs as drifted again. calibrate_drift returns "" when every probe reads a usable response, else
  // which crossbar's does not (its drift is then left uncompensated).
  std::string calibrate_drift(FastRng& rng);
  void compensate_drift(FastRng& rng);
  void reset_drift_compensation();

  // Cycle-to-cycle noise of this chip (periphery and crossbars draw from it).
  FastRng& rng() { return rng_; }

  // Local simulated time (s), booking time, handing it to the kernel, idling.
  double now_s() const;
  void advance_ns(double ns);
  void sync();
  // Idling ages the devices: with DeviceParams::stuck_per_day > 0 every free device of every array may
  // become stuck (Crossbar::age), drawn from the chip's random stream.
  void idle(double seconds);
  // The whole state (every layer's conductances and per-device state, the cycle-to-cycle random stream,
  // simulated time) under `prefix`; restore runs the kernel forward to the saved time (the kernel's clock
  // cannot go back: restore into a process whose time has not passed it). The ledger is the run's, saved
  // by its owner.
  void save(Checkpoint& c, const std::string& prefix) const;
  void restore(const Checkpoint& c, const std::string& prefix);

  // Wall-clock seconds spent inside the SystemC kernel (sc_start) on behalf of this chip.
  double kernel_wall_s() const { return kernel_wall_s_; }

 private:
  // Every variation drawn from `seed`: the periphery's, and with `crossbars` the crossbars' (which draw their
  // own when built).
  void draw(std::uint64_t seed, bool crossbars);
  void run_kernel(const sc_core::sc_time& t);
  double kernel_wall_s_ = 0.0;
  ChipParams p_;
  Ledger* ledger_;
  std::uint64_t seed_;
  FastRng rng_;
  double pending_ns_ = 0.0;
  std::vector<std::unique_ptr<TileModule>> tiles_;
  std::vector<std::unique_ptr<ChipLayer>> arrays_;
  std::vector<std::vector<std::unique_ptr<Crossbar>>> extra_;   // per layer: the extra arrays
  std::vector<std::vector<std::unique_ptr<Crossbar>>> copies_;  // per layer: copies 1 .. weight_copies - 1
  std::vector<Mat> copy_out_;                                    // per layer: a copy's forward output
  std::vector<std::unique_ptr<AnalogRelu>> relu_;
  std::vector<std::unique_ptr<DampingStage>> damping_;  // empty unless ChipParams::damping_stage
  std::vector<std::unique_ptr<LengthNormaliser>> norm_;
  std::vector<std::unique_ptr<GoodnessIntegrator>> goodness_;
  std::vector<std::unique_ptr<SigmoidUnit>> sigmoid_;
};

}  // namespace mortal::hw
