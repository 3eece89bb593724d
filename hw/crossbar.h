#pragma once
// The crossbar core: one weight matrix W (out, in) stored as differential device pairs on physical tiles
// of at most max_rows x max_cols (rows = inputs on word lines, cols = outputs on bit lines). Plain C++, no
// SystemC: the tile module (hw/tile_module.h) is a timed shell around it and passes the time in.
// Its sources by concern: hw/crossbar.cpp (construction, programming, drift compensation, checkpoints),
// crossbar_read.cpp (the read path), crossbar_update.cpp (pulsed writes and the devices' response),
// crossbar_state.cpp (the conductance state derived from the devices at a time).
//
// Forward: inputs go through a DAC, drive the rows as voltages, currents from all tiles of a column add
// (one ADC at the end, or one per tile if configured), read noise and output noise are added, an ADC
// converts. Tiling is physical only: without per-tile ADCs the partial sums add as currents, so the
// product is computed as one matrix product over the whole layer (with all noise off, bit-identical to
// the digital z = x W^T).
//
// Cheapest exact forms (each has an exact mode a test compares with):
// - read noise: independent Gaussian noise on every device summed on a column is one Gaussian per output
//   with variance sum_i V_i^2 sigma_ij^2 (ReadNoiseMode::column_sum; exact: per_device);
// - pulsed update: the coincidences a device receives in a batch are drawn as one count per direction,
//   Binomial(BL batch, mu / (BL batch)) with mu the exact expected count, which has the exact mean and a
//   variance between the exact (Poisson-binomial) one and its Poisson bound; the response to those
//   pulses is the solution of the device's step equation with the pulses spread evenly over the batch
//   (UpdateMode::sampled_counts; exact: pulse_by_pulse, slot by slot, one device at a time). A device
//   expecting at least kGaussianPulses pulses in the batch gets its weight change as one Gaussian with the
//   mean and variance of that sum (central limit), vectorised over the array. Its count variance is
//   the binomial one, mu (1 - mu / (BL batch)), which exceeds the exact sum_b BL p q (1 - p q) by at most a
//   factor 1 / (1 - max p q); when max p q > 0.05 the exact variance is computed (two more products).
#include <string>
#include <vector>

#include "core/checkpoint.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "hw/device.h"
#include "hw/energy.h"
#include "hw/fast_rng.h"
#include "hw/periphery.h"

namespace mortal::hw {

enum class ReadNoiseMode { column_sum, per_device };
// Expected pulses per device and batch from which the sampled update uses the Gaussian limit (mean and
// variance exact; the skewness of the count, 1/sqrt(mu) <= 0.32, is dropped).
constexpr float kGaussianPulses = 10.0f;
enum class UpdateMode { sampled_counts, pulse_by_pulse };
enum class UpdateKind {
  pulsed,  // stochastic pulse coincidence (Gokmen & Vlasov 2016)
  exact    // W += lr d^T x applied exactly and unbounded: the digital reference
};

struct UpdateParams {
  UpdateKind kind = UpdateKind::pulsed;
  UpdateMode mode = UpdateMode::sampled_counts;
  int bl = 31;  // bit length: pulse slots per sample (Gokmen & Vlasov 2016; aihwkit default 31)
  // Update management (aihwkit): scale the row probabilities up and the column ones down by
  // sqrt(max|d| / max|x|) so both pulse trains use their range.
  bool update_management = true;
  void validate() const;
};

struct ProgramParams {
  int max_iterations = 5;   // program-and-verify rounds
  double tolerance = 0.01;  // accepted |w - w_target| in normalised units
  void validate() const;
};

// Simulated duration of each operation.
struct TimingParams {
  double t_dac_ns = 1.0;    // DAC settling per sample (assumed)
  double t_read_ns = 10.0;  // integration of one read (REFERENCES.md crossbar example: 10 ns)
  double t_adc_ns = 1.0;    // one conversion (Murmann survey: 1-10 GS/s designs)
  int columns_per_adc = 1;  // columns sharing one ADC (conversions of a sample are serialised)
  double t_pulse_ns = 10.0;  // one pulse slot of a stochastic update (assumed)
  double t_program_ns = 1000.0;  // one program-and-verify round of one tile row (assumed)
  void validate() const;
};

struct CrossbarParams {
  DeviceParams device;
  int max_rows = 256;  // physical tile: inputs
  int max_cols = 256;  // physical tile: outputs
  double w_scale = 1.0;  // user weight per normalised weight unit (a power of two keeps ideal runs exact)
  double v_read_v = 0.2;  // row voltage at full-scale input (REFERENCES.md crossbar example)
  // Input DAC, range in user input units: aihwkit IOParameters default 7 bits, inputs in [-1, 1].
  ConverterParams dac{true, 7, 1.0, {}};
  // Output ADC, range in normalised output units: aihwkit default 9 bits, output bound 12.
  ConverterParams adc{true, 9, 12.0, {}};
  bool adc_per_tile = false;  // convert each tile's partial sum (partial sums then add digitally)
  double out_noise = 0.0;     // output-referred noise, normalised units (aihwkit default 0.06)
  ReadNoiseMode read_noise_mode = ReadNoiseMode::column_sum;
  // First-order IR drop on word lines: wire resistance per cell (ohm). 0 switches it off.
  double ir_drop_ohm = 0.0;
  AnalogParams pulse_gen;  // row and column pulse generators
  UpdateParams update;
  ProgramParams program;
  TimingParams timing;
  void validate() const;
};

// A crossbar with everything ideal: the digital array (ideal device, ideal converters, exact update).
CrossbarParams ideal_crossbar();
// A crossbar of the named device preset with aihwkit's default periphery (7-bit DAC, 9-bit ADC, output
// noise 0.06) and pulsed updates; "ideal" gives ideal_crossbar().
CrossbarParams crossbar_preset(const std::string& device);

// Which ends of a forward pass are digital. A layer fed by another layer's analog periphery takes its
// inputs as voltages (no DAC: driven as they are, clipped to the driver's swing +-dac.range); a layer whose
// outputs stay analog (FF in situ: into the ReLU and goodness circuits) has no ADC (the TIA still
// saturates at +-adc.range, and output noise is still added). Ideal converters (quantize off) stand for
// ideal drivers and amplifiers too: no swing limit.
struct ForwardIO {
  bool dac = true;
  bool adc = true;
};

// Durations of the last operations, for the timed shell.
struct OpTime {
  double ns = 0.0;
};

class Crossbar {
 public:
  // out x in weight matrix; per-device state and periphery spreads drawn from `seed` in the random
  // streams named `stream` (default: the name). A chip passes the path below itself, so that two chips of
  // one seed are the same individual whatever they are called.
  Crossbar(std::string name, const CrossbarParams& params, Ledger& ledger, int out, int in,
           std::uint64_t seed, std::string stream = "");

  int inputs() const { return in_; }
  int outputs() const { return out_; }
  int row_tiles() const { return row_tiles_; }  // tiles along the inputs
  int col_tiles() const { return col_tiles_; }  // tiles along the outputs
  const CrossbarParams& params() const { return p_; }
  const std::string& name() const { return name_; }

  // Which cross-points hold a pair of devices (a layer whose connectivity is a mask: local receptive
  // fields, model/local_array.h): present (out, in) is 1 where a pair sits and 0 where none was ever built.
  // An empty cross-point holds weight 0 for good: no conductance (so no read current, read noise or read
  // energy), no pulse, no programming, no fault; the row's wires, its DAC and the column's amplifier and
  // ADC are as they are. Every cross-point holds a pair until this is called; the programmed weights of the
  // empty ones are dropped.
  void connect(ConstMatRef present);
  bool masked() const { return present_.size() > 0; }
  // The pairs of devices built: out x in, or the cross-points connect() left present.
  long long pairs() const;
  // The physical tiles built: every one, or those holding a pair (a tile with none is left out, and its
  // row drivers convert nothing).
  int tiles_built() const { return tiles_built_; }

  // Redraw this instance (devices, periphery) from a new seed; the programmed weights are kept as
  // normalised targets and must be programmed again by the caller if wanted.
  void reseed(std::uint64_t seed);
  // Age the devices by `days` of idling: with DeviceParams::stuck_per_day > 0 each free device becomes
  // stuck with probability 1 - exp(-stuck_per_day days), at g_min or g_max with equal odds; the faults hold
  // from the next read on (and are kept by save and restore). Returns how many devices became stuck.
  long long age(double days, FastRng& rng);
  // Devices stuck now (both of each pair counted).
  long long stuck_devices() const;

  // z = x W^T as the hardware computes it at time t_s (seconds). x: (batch, in), z: (batch, out).
  OpTime forward(MatRef z, ConstMatRef x, double t_s, FastRng& rng, ForwardIO io = {});
  // Reference for the exact read-noise mode, regardless of params: per-device noise, one sample at a time.
  OpTime forward_per_device(MatRef z, ConstMatRef x, double t_s, FastRng& rng);

  // W += lr d^T x by the configured update. x: (batch, in), d: (batch, out).
  OpTime update(ConstMatRef x, ConstMatRef d, float lr, double t_s, FastRng& rng);

  // Row by row, for moving weights between arrays on the chip (analog momentum, Tiki-Taka transfers):
  // each input row in turn is driven alone at full scale. Nothing is digitised: the column outputs are
  // held as voltages, and they drive the column pulse generators of the write. Both work on the n input
  // rows row0 .. row0 + n - 1, n = the columns of r or delta.
  // read_rows: r (out, n) = the normalised weights as read at t_s, with every device's read noise and the
  // output noise, saturating at the TIA swing (+-adc.range).
  OpTime read_rows(MatRef r, int row0, double t_s, FastRng& rng);
  // write_rows: W += delta (out, n; normalised units) by pulse coincidence one row at a time: the row
  // fires in every one of its BL slots, column j with probability |delta_ji| / (BL dw_min), so a device
  // gets Binomial(BL, p_row p_col) pulses in delta's direction (at most BL per write; from kGaussianPulses expected
  // pulses on, the Gaussian limit of that count, rounded).
  // With RowWrite::whole_steps the column generators fire floor(|delta_ji| / dw_min) pulses (at most BL):
  // no randomness in the count, the remainder below one nominal step is not written (whole_steps()
  // gives what is).
  enum class RowWrite { stochastic, whole_steps };
  // With bursts > 1 each row's write window is that many times BL slots long (and takes that many times
  // the time): up to bursts BL pulses per device.
  OpTime write_rows(ConstMatRef delta, int row0, double t_s, FastRng& rng, RowWrite mode = RowWrite::stochastic,
                    int bursts = 1);
  // What a whole-steps write of delta fires, in normalised units: each entry rounded toward zero to whole
  // nominal steps, at most max_steps (<= BL) of them; unchanged on an exact crossbar (it writes delta as is).
  void whole_steps(MatRef delta, int max_steps) const;
  int burst_length() const { return p_.update.bl; }
  double rows_time_ns(int n, bool write) const {
    return double(n) * (write ? p_.update.bl * p_.timing.t_pulse_ns : p_.timing.t_read_ns);
  }

  // Charge sharing (a charge-storing device, DeviceParams::charge_sharing): one clocked switch connects
  // every cell's capacitor to a second one, so every weight becomes keep w (towards the reference, w = 0)
  // at once, plus the share's kT/C noise (share_noise), within each device's bounds. No pulse: costed as
  // one analog operation per device, in one pulse slot. An exact crossbar scales exactly.
  OpTime share_charge(float keep, double t_s, FastRng& rng);
  bool can_share_charge() const { return p_.device.charge_sharing || p_.update.kind == UpdateKind::exact; }

  // Program-and-verify to target weights (user units) at time t_s. w: (out, in).
  OpTime program(ConstMatRef w, double t_s, FastRng& rng);

  // The weights the array holds now in user units (conductances at t_s, noise-free read). w: (out, in).
  void read_weights(MatRef w, double t_s);
  // The weights as a read-out through the converters finds them, in user units (what copying a chip's
  // weights into another needs): each input row driven alone at full scale, every column's output with its
  // read and output noise converted by its ADC, with that ADC's own gain (its offset taken off by a
  // reference read with no row driven), at the ADC's resolution over the devices' nominal weight range;
  // with repeats > 1 every row is read that many times and the conversions averaged (the read and output
  // noise fall as 1 / repeats in variance). w: (out, in).
  OpTime read_out(MatRef w, double t_s, FastRng& rng, int repeats = 1);

  // Global drift compensation (aihwkit): remember the response to probe inputs now, later scale the
  // outputs by one gain so the probe response matches again. probe: (n, in). A probe that reads nothing
  // usable (0 or not finite: a converter that cannot resolve it, noise that swamps it) leaves nothing to
  // compensate against: drift_probe() then says so, and compensate_drift leaves the gain at 1.
  OpTime calibrate_drift(ConstMatRef probe, double t_s, FastRng& rng);
  OpTime compensate_drift(ConstMatRef probe, double t_s, FastRng& rng);
  // The probe's reference response (sum of |outputs|): positive and finite when compensable, else 0.
  double drift_probe() const { return probe_reference_; }
  float output_gain() const { return out_gain_; }
  // Undo a compensation (the response as drifted), e.g. to compare with and without it.
  void reset_output_gain() { out_gain_ = 1.0f; }

  // The whole mutable state (programmed weights, per-device state, drift clock, compensation) under
  // `prefix` in a checkpoint, and back; restore checks the shapes.
  void save(Checkpoint& c, const std::string& prefix) const;
  void restore(const Checkpoint& c, const std::string& prefix);

  // State, for tests and checkpoints.
  const Mat& weights_normalised() const { return w_; }
  const DeviceState& devices() const { return dev_; }
  double t_program_s() const { return t_program_s_; }
  // Effective normalised weights and per-device read-noise variance at t_s.
  const Mat& effective_weights(double t_s);
  const Mat& read_variance(double t_s);
  // Conductances of the pair (uS) at t_s (for tests, and for setting one chip's state on another: a
  // conductance copy). gp, gm: (out, in).
  void conductances(MatRef gp, MatRef gm, double t_s);

  const Dac& dac() const { return dac_; }
  // The output ADC bank(s): one, or one per tile along the inputs with adc_per_tile.
  const std::vector<Adc>& adcs() const { return adcs_; }
  // Pulses applied by the last update (all devices), and its row pulse probabilities (batch, in).
  double last_pulses() const { return last_pulses_; }
  const Mat& last_row_probabilities() const { return p_rows_; }
  // The DAC output of the last forward (batch, in), in input units.
  const Mat& last_inputs() const { return xq_; }
  double forward_time_ns(int batch, ForwardIO io = {}) const;
  double update_time_ns(int batch) const { return double(batch) * p_.update.bl * p_.timing.t_pulse_ns; }

 private:
  void sample(std::uint64_t seed);
  void refresh(double t_s);
  // The conductances (uS) of the pairs on output rows r0 .. r0 + gp.rows() - 1 as programmed: a positive
  // weight on G+, a negative one on G-, the other device at g_min; none at an empty cross-point.
  void programmed_conductances(MatRef gp, MatRef gm, int r0) const;
  // The derived state for drift factor exponent log_t and 1/f variance factor c2 (see refresh).
  void rebuild(double log_t, double c2);
  bool conductance_path() const;
  bool read_noise_on() const;
  void analog_product(MatRef z, int col0, int ncols, FastRng& rng);
  void book_read(int batch, bool dac);
  void update_exact(ConstMatRef x, ConstMatRef d, float lr);
  // The row and column pulse probabilities of an update lr d^T x into p_rows_ and p_cols_ (batch, in / out),
  // as both update modes fire them; false when the update writes nothing.
  bool pulse_trains(ConstMatRef x, ConstMatRef d, float lr);
  void update_sampled(ConstMatRef x, ConstMatRef d, float lr, FastRng& rng);

  // What every block of a sampled update reads: expected counts (all, up minus down), their exact
  // squared sums when used (else null: binomial variances), and the cycle-to-cycle noise.
  struct SampledUpdate {
    const float *tot = nullptr, *net = nullptr, *sq_tot = nullptr, *sq_net = nullptr;
    double n_slots = 0;
    float c2c = 0;
  };
  // Rows of devices per block of a sampled update or a row write (a fixed split, see core/parallel.h).
  static constexpr int kBlockRows = 8;
  // Samples per block of a forward pass's noise.
  static constexpr Eigen::Index kNoiseBlockRows = 16;
  // The devices' response is a template argument: the update visits DeviceParams::response once and runs
  // that kind's code over every block.
  template <typename Response>
  double update_block(const Response& response, const SampledUpdate& u, Eigen::Index k0, Eigen::Index n,
                      FastRng& rng);
  void update_pulse_by_pulse(ConstMatRef x, ConstMatRef d, float lr, FastRng& rng);
  double probe_response(ConstMatRef probe, double t_s, FastRng& rng, OpTime& t);

  std::string name_, stream_;
  CrossbarParams p_;
  Ledger* ledger_;
  int out_, in_, row_tiles_, col_tiles_;
  double g_unit_us_;

  Dac dac_;
  std::vector<Adc> adcs_;
  PulseGenerator row_pulses_, col_pulses_;
  DeviceState dev_;

  // Connectivity (connect): empty, every cross-point holds a pair; else 1 where one does, 0 where none, and
  // the pairs on each input row.
  Mat present_;
  RowVec present_per_row_;
  int tiles_built_ = 0;
  double rows_driven_ = 0;  // input rows of every tile built: the DAC conversions of one sample
  // Empty cross-points' stuck flags cleared (none is ever a device).
  void clear_empty_faults();
  // tiles_built_ and rows_driven_ from the connectivity.
  void count_tiles();
  // Cells of the n input rows from row0 on that hold a pair, times `times`.
  double cells(int row0, int n, double times) const;

  // Programmed state.
  Mat w_;  // normalised weight of each pair (out, in)
  double t_program_s_ = 0.0;
  float out_gain_ = 1.0f;
  double probe_reference_ = 0.0;

  // Derived, refreshed lazily.
  bool dirty_ = true;
  bool nu_stale_ = true;  // drift exponents not computed since the last write
  double cached_log_t_ = -1.0;
  double cached_c2_ = -1.0;
  ReadNoiseMode mode_;
  double last_pulses_ = 0.0;
  Mat gp_, gm_;  // conductances of the pairs at the cached time (uS)
  Mat weff_;  // effective weights at the cached time (only used on the conductance path)
  Mat var_;   // per-device read variance, normalised units^2
  Mat nu_p_, nu_m_, q_p_, q_m_;
  RowVec g_row_sum_us_;  // sum over a row (input) of both devices' conductances, for read energy

  // Work buffers (resized only when the batch shape changes).
  Mat xq_, xsq_, part_, zvar_, p_rows_, p_cols_, ps_, qs_, mu_net_, mu_tot_;
  Mat ones_row_;  // (1, in): a row write drives every row at full scale
  // A row write's own (grown_view): its shapes change with the rows written, and an update or a forward pass
  // comes between two writes.
  Mat write_rows_p_, write_delta_t_, write_cols_p_, write_mu_;
  Mat sq_tot_, sq_net_;
  Eigen::ArrayXf normals_, scratch_;

  Ledger::Handle read_counter_, pulse_counter_, program_counter_;
  Ledger::Handle share_counter_;  // registered for charge-sharing devices only
};

}  // namespace mortal::hw
