#pragma once
// Forward-Forward trained in situ on an emulated chip. Each layer's forward pass runs on its crossbar
// with the output left analog; the layer's analog periphery computes the ReLU, the goodness, the learning
// signal (sigmoid of goodness minus threshold) and the normalised activity passed on; the weight change
// is applied by pulse coincidence. Nothing on the learning path is digitised: the only conversions are the
// input DAC of the first layer and the final label read-out (a winner-take-all over the ten labels'
// goodness sums, costed as one ADC conversion per image). The layers are the stages of a SystemC pipeline
// (hw/pipeline.h): every layer learns on every batch while batches stream through, and the run reports
// the pipeline's throughput and latency in simulated time.
//
// After training the chip idles (simulated time) and is evaluated at each drift time, with and without
// global drift compensation; the rival (BP trained digitally as if the devices were ideal, then
// programmed onto the same individual chip by program-and-verify) is evaluated beside it. Epoch ends
// checkpoint the chip's whole state, so a killed run resumes to the same result.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/checkpoint.h"
#include "hw/chip.h"
#include "hw/pipeline.h"
#include "sim/ff_experiment.h"
#include "sim/resume.h"

namespace CLI {
class App;
}  // namespace CLI

namespace mortal {

// Analog momentum (FFParams::momentum > 0): a momentum array beside every layer holds gain times lr0 v (lr0
// the base learning rate); each step the gradient's pulses go to it, its rows are read and written into the
// weights at lr / lr0 (lr_at), and its decay is written back into a 1/every share of its own rows
// (cyclically; every = 1 is exact momentum, larger values cut the decay's pulses). With share, the decay is
// no write at all: a momentum array of charge-storing cells (capacitors: --second-device capacitor) shares
// every cell's charge once per step, V = mu V (hw::Crossbar::share_charge), which is exact momentum
// without a decay pulse.
struct AnalogMomentum {
  double gain = 64.0;
  int every = 1;
  std::string decay = "pulses";  // or "share"
  // Where the learning-rate schedule acts: "transfer" (V accumulates (1 - mu) G lr0 g at the base rate lr0
  // and the transfer writes (lr / lr0) V / G into W: W += lr v, as digital momentum SGD does) or "gradient"
  // (V accumulates (1 - mu) G lr g and the transfer writes V / G: the velocity, and with it the weight of
  // V's read noise against it, shrinks with the rate).
  std::string lr_at = "transfer";
  bool share() const { return decay == "share"; }
  bool lr_at_transfer() const { return lr_at == "transfer"; }
  void validate() const;
};

// Periodic carry (a multi-device synapse of two significances: Agarwal et al. 2017, Boybat et al. 2018):
// a fine array A beside every layer whose column outputs are scaled by 1/factor before they join those of
// the weights' array C, so a layer's weight is C + A / factor. The update's pulses go to A at factor times
// the step (a device step of A moves the weight by dw_min / factor), each step a 1/every share of A's rows
// is read and carried into C (C += A / factor, then A -= A, row by row), and forward passes read both.
// At the end of training every row is carried, so inference, drift and its compensation use C alone.
// With whole steps, a carry writes only whole nominal steps of the weights' devices (the column pulse
// generators fire floor(held voltage / step) pulses, at most BL) and the fine array gives up exactly
// factor times each step, in whole nominal steps of its own (in as many bursts of at most BL pulses as
// that takes): the remainder stays in the fine array for a later carry instead of being rounded at random
// into the weights.
//
// With analog momentum too (a third array per layer, hw::ChipParams::accumulator_arrays), the fine array
// sits between the momentum array V and the weights W: V's transfer, lr v, goes into it at factor times
// instead of into W, and only whole steps go on into W (carry-whole is required). That is a threshold
// transfer (the accumulator H of Tiki-Taka v2, Gokmen 2021, here analog): changes that cancel within one
// device step of W, and V's read noise, which averages out, never reach W's noisy pulses.
struct FineCarry {
  double factor = 0.0;  // 0: off
  int every = 1;
  bool whole = false;
  // Forward passes read the weights' array alone, not C + A / factor (the accumulator stays hidden, as
  // Tiki-Taka v2's H is): the weight the network sees moves by whole steps only.
  bool hidden = false;
  bool on() const { return factor > 0; }
  void validate() const;
};

// Refuses analog momentum with a carry of other than whole steps (the fine array between V and W is a
// threshold accumulator).
void require_carry_fits(float momentum, const FineCarry& carry);

// The share of a second array's rows taken per step (every `every` steps each row) and, for a momentum
// array, the fraction f each row loses at its turn (sim/insitu_ff.cpp gives the derivation).
struct DecayShare {
  int rows = 0;    // rows per step
  int period = 0;  // steps between two turns of a row
  float fraction = 0;
};
DecayShare row_share(int rows, int every);  // fraction 1: a carry takes all of a row
DecayShare decay_share(int rows, int every, float mu);

struct InSituParams {
  std::string device = "digital";  // "digital": exact digital arrays (sim/ff_experiment); else a preset
  std::vector<std::string> hw;     // path=value overrides (sim/hw_config.h)
  double w_scale = 0.5;            // weight (user units) of a full device range, every FF layer
  double input_range = 0.0;        // first layer's DAC full scale; 0: the largest normalised training input
  double hidden_range = 8.0;       // drive swing of the hidden layers' analog inputs (unit-rms activities)
  double output_range = 0.0;       // TIA swing, normalised units; 0: the crossbar's ADC range
  std::vector<double> drift_times = {1.0, 3600.0, 86400.0, 30 * 86400.0, 365 * 86400.0};
  std::string rival = "bp";        // "bp" or "none"
  int rival_epochs = 10;
  int fifo_depth = 2;
  AnalogMomentum momentum;         // with FFParams::momentum > 0
  FineCarry carry;                 // with FFParams::momentum == 0
  std::string second_device;       // the momentum or fine arrays' device preset (empty: the weights')
  std::string plot;                // drift plot stem; default: the results path without .json, + "_drift"

  void add_options(CLI::App& app);
  void validate() const;
  bool in_situ() const { return device != "digital"; }
  // The drift plot's stem for results at `out`.
  std::string plot_stem(const std::string& out) const { return plot.empty() ? results_stem(out) + "_drift" : plot; }
};

// FF trained on a chip's crossbars and periphery. The chip has one layer per FF layer, each with a bias
// row (ChipParams::bias_row); build the trainer, like the chip, before the kernel starts (its pipeline is
// a SystemC module).
class InSituFF {
 public:
  // With p.momentum > 0 or carry on, the chip must have its second arrays (ChipParams::momentum_arrays):
  // the update is analog momentum (AnalogMomentum) or periodic carry (FineCarry).
  InSituFF(hw::Chip& chip, const FFParams& p, const Dataset& train, std::uint64_t seed, int fifo_depth = 2,
           AnalogMomentum momentum = {}, FineCarry carry = {});

  int layers() const { return chip_.layers(); }
  int units_of(int k) const { return chip_.tile(k).core().outputs(); }
  int inputs_of(int k) const { return chip_.tile(k).core().inputs(); }  // with the bias row
  const std::vector<int>& chosen() const { return chosen_; }

  // The same initial weights as the digital run of this seed (sim/ff_experiment), by program-and-verify.
  void program_initial();
  // One pass over the training set streamed through the pipeline (step counts batches over the run);
  // returns the epoch's curve entry: per-layer loss and goodness, simulated time, throughput, latency.
  nlohmann::json train_epoch(int epoch, long long& step, long long total_steps);
  // Error rate of goodness prediction on the chip over all of `d`.
  double error(const Dataset& d);
  // With periodic carry: carries every row of the fine arrays into the weights, after which forward
  // passes read the weights' arrays alone (the end of training). Advances the chip's clock.
  void carry_all();

  hw::FastRng& eval_rng() { return eval_rng_; }
  double simulated_training_s() const { return sim_train_s_; }
  // The trainer's part of a checkpoint (random streams, peer-normalisation means, simulated time).
  void save(Checkpoint& c) const;
  void restore(const Checkpoint& c);

 private:
  struct Stats {
    double loss = 0, gpos = 0, gneg = 0;
    long long steps = 0;
  };
  struct Buffers {
    Mat y, g, ge, p, s, d, r, dw, fine;
    Vec target;
  };
  float per_unit(int k) const;
  double forward_layer(int k, const Mat& x, Mat& y, Mat& g, hw::FastRng& rng, double t_s);
  double pass_on(int k, const Mat& y, Mat& next, hw::FastRng& rng);
  double train_stage(int k, hw::Packet& pk, double t_s);
  // This step's share of rows: first row and count, cycling through the rows.
  static std::pair<int, int> next_rows(const DecayShare& share, int& row, int rows);
  hw::Crossbar& fine(int k);  // the fine array of periodic carry: the second array, or the third with momentum
  double carry_rows(int k, int row0, int n, double t_s, hw::FastRng& rng);
  double carry_next_rows(int k, double t_s, hw::FastRng& rng);  // this step's share of rows, carried

  hw::Chip& chip_;
  const FFParams& p_;
  const Dataset& train_;
  std::uint64_t seed_;
  LabelCoding coding_;
  FFLayerParams lp_;
  NormKind input_norm_;
  OptimiserParams opt_;  // the momentum (rising or constant) the digital arrays of these settings use
  hw::FastRng eval_rng_;
  Rng neg_rng_;
  hw::Ledger::Handle readout_;
  std::vector<int> chosen_;
  std::vector<hw::FastRng> layer_rng_;
  std::vector<RowVec> mean_, pull_;
  std::vector<float> theta_;
  std::vector<Buffers> buf_;
  std::vector<Stats> stats_;
  std::unique_ptr<hw::Pipeline> pipeline_;
  double sim_train_s_ = 0;
  AnalogMomentum am_;
  FineCarry carry_;
  bool fine_in_forward_ = false;   // with carry, until carry_all
  std::vector<DecayShare> share_;        // per layer, with momentum (rows decayed per step)
  std::vector<DecayShare> carry_share_;  // per layer, with carry (rows carried per step)
  std::vector<int> transfer_row_;        // per layer: the next row of the momentum array to decay
  std::vector<int> carry_row_;           // per layer: the next row of the fine array to carry
};

// Trains FF in situ and evaluates it (and the rival) over drift; returns the metrics section. `out` is
// the results path (the plot path derives from it); the chip's whole state is checkpointed at every
// epoch end to ck.path (ResumeOptions::for_run). The returned "status" is "finished" or "stopped"
// (ck.stop_after reached).
nlohmann::json run_insitu_ff(const FFParams& p, const InSituParams& ip, const Checkpointing& ck, std::uint64_t seed,
                             const std::string& out, const FFCurveCallback& on_epoch = {});

}  // namespace mortal
