#pragma once
// Forward-Forward trained in situ on an emulated chip. Each layer's forward pass runs on its crossbar
// with the output left analog; the layer's analog periphery computes the ReLU, the goodness, the learning
// signal (sigmoid of goodness minus threshold) and the normalised activity passed on; the weight change
// goes through the run's update rule (sim/rules/: plain pulses, analog momentum, periodic carry, the
// threshold accumulator, mixed precision), which the trainer calls without knowing which it holds. Nothing on the learning path is digitised: the only conversions are the
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
#include "model/softmax.h"
#include "sim/chip_periphery.h"
#include "sim/ff_experiment.h"
#include "sim/perturbation.h"
#include "sim/resume.h"
#include "sim/rules/update_rule.h"
#include "sim/supervision.h"
#include "sim/vcd_trace.h"

namespace CLI {
class App;
}  // namespace CLI

namespace mortal {

struct InSituParams {
  std::string device = "digital";  // "digital": exact digital arrays (sim/ff_experiment); else a preset
  std::vector<std::string> hw;     // path=value overrides (sim/hw_config.h)
  int weight_copies = 1;           // devices per weight: --hw weight_copies=N by its own name
  double w_scale = 0.5;            // weight (user units) of a full device range, every FF layer
  double input_range = 0.0;        // first layer's DAC full scale; 0: the largest normalised training input
  double hidden_range = 8.0;       // drive swing of the hidden layers' analog inputs (unit-rms activities)
  double output_range = 0.0;       // TIA swing, normalised units; 0: the crossbar's ADC range
  std::vector<double> drift_times = {1.0, 3600.0, 86400.0, 30 * 86400.0, 365 * 86400.0};
  std::string rival = "bp";        // "bp" or "none"
  int rival_epochs = 10;
  int fifo_depth = 2;
  // The update rule's in-situ options (choose_update_rule picks the rule from these and FF's momentum).
  float analog_momentum = 0.0f;    // FFParams::momentum in situ, by its own name (apply_insitu_defaults)
  AnalogMomentum momentum;         // with FFParams::momentum > 0
  FineCarry carry;                 // periodic carry, or with momentum a threshold accumulator
  std::string second_device;       // the rule's extra arrays' device preset (empty: the weights')
  bool mixed_precision = false;    // a digital accumulator per weight instead (sim/rules/mixed_precision.h)
  std::string plot;                // drift plot stem; default: the results path without .json, + "_drift"
  TraceOptions trace;              // a VCD trace of the first steps (options added by the scenario that offers it)

  void add_options(CLI::App& app);
  void validate() const;
  bool in_situ() const { return device != "digital"; }
  // The hardware overrides the chip is built with: weight_copies=N from --weight-copies, then --hw's.
  std::vector<std::string> hw_overrides() const;
  // The drift plot's stem for results at `out`.
  std::string plot_stem(const std::string& out) const { return plot.empty() ? results_stem(out) + "_drift" : plot; }
};

// FF trained on a chip's crossbars and periphery. The chip has one layer per FF layer, each with a bias
// row (ChipParams::bias_row); build the trainer, like the chip, before the kernel starts (its pipeline is
// a SystemC module). The weight change goes through one update rule (sim/rules/), whose extra arrays the
// chip must have been built with (ChipParams::extra_arrays = extra_arrays(rule)). What it learns from is
// an FFSupervision (sim/supervision.h): labelled images, or a teacher's probabilities over unlabelled ones;
// each overlay's target is the probability that it is positive data, and the sigmoid units learn towards
// it (model/ff_step.h, through the chip's periphery: sim/chip_periphery.h).
class InSituFF {
 public:
  InSituFF(hw::Chip& chip, const FFParams& p, const FFSupervision& train, std::uint64_t seed, int fifo_depth = 2,
           const UpdateRuleParams& rule = PulsedSgdParams{});

  int layers() const { return chip_.layers(); }
  int units_of(int k) const { return chip_.tile(k).core().outputs(); }
  int inputs_of(int k) const { return chip_.tile(k).core().inputs(); }  // with the bias row
  const std::vector<int>& chosen() const { return chosen_; }

  // The same initial weights as the digital run of this seed (sim/ff_experiment), by program-and-verify.
  void program_initial();
  // One pass over the training set streamed through the pipeline (step counts batches over the run);
  // returns the epoch's curve entry: per-layer loss and goodness, simulated time, throughput, latency.
  nlohmann::json train_epoch(int epoch, long long& step, long long total_steps);
  // Error rate of the prediction (goodness, or the fitted softmax read-out) on the chip over all of `d`, and
  // the predictions themselves.
  double error(const Dataset& d);
  std::vector<int> predict(const Dataset& d);
  // Every label's score for every image (rows of `images`): the chosen layers' goodness with that label
  // written in, summed (signed so that larger is more positive). scores: (images, classes). Booked as one
  // read-out per image.
  void scores(const Mat& images, int classes, Mat& scores);
  // Every layer's probability that each label's overlay of each image is positive data, as its sigmoid unit
  // gives it (sigmoid of the layer's goodness against its threshold, the unit's spread and noise included).
  // probabilities: one (images, classes) per layer. Booked as one read-out per image, label and layer.
  void layer_probabilities(const Mat& images, int classes, std::vector<Mat>& probabilities);
  // Every layer's normalised activity (the length normaliser's output, what the next layer reads) for each
  // image overlaid with its label: activity[k] is (images, units of layer k). Through the evaluation's
  // periphery, as the queries above; booked as one conversion per unit, row and layer (the activity leaves
  // the chip).
  void activities(const Mat& images, const std::vector<int>& labels, int classes, std::vector<Mat>& activity);
  // Unsupervised FF (--negatives hybrid: no label enters the chip) predicts by a linear softmax read-out on
  // the chosen layers' normalised activities (section 3.2), which leave the chip through ADCs and are learned
  // from digitally, off the chip; supervised FF by goodness. "softmax" or "goodness".
  const char* prediction() const { return softmax_ ? "softmax" : "goodness"; }
  // The read-out's features of `images`, as they are (no label written): the chosen layers' normalised
  // activities side by side, f: (images, their widths summed). Booked as one conversion per unit and image.
  void features(const Mat& images, Mat& f);
  // Learns the softmax read-out afresh on `labelled`'s features as the chip gives them now (fit_readouts:
  // p.readout_epochs passes); its passes are appended to `curve`. Only with the softmax prediction.
  void fit_readout(const Dataset& labelled, nlohmann::json& curve, bool log);
  // The last fit as the results keep it: where it ran, its images, features, classes and passes, and its
  // digital multiply-accumulates (2 per weight, image and pass: the logits and the gradient), which the
  // chip's ledger does not hold (it books the features' conversions, under "feature_readout").
  nlohmann::json readout_record() const;
  // Representations (Hinton 2022, section 8: internal representations carry more than the output): besides
  // its supervision's targets, every layer learns to point its activity vector where `teacher`'s same layer
  // points it for the same overlay. The teacher, a chip of this one's layer widths, is queried as batches
  // are drawn; in each layer's delta the FF term gains weight * (|y| t - y) per row, with t the teacher's
  // normalised activity and |y| the length the student's own normaliser divides by: the activity is turned
  // towards the teacher's direction, its length (the goodness) left to the FF term.
  void learn_representations(InSituFF& teacher, float weight);
  // The end of training: the rule leaves the weights as inference reads them (a carry empties its fine
  // arrays into them, after which forward passes read the weights alone). Advances the chip's clock.
  void finish_training();
  // Records the training pipeline's next `steps` batches in `tf` (hw::Pipeline::trace), with the chip's ledger.
  void trace(sc_core::sc_trace_file* tf, long long steps);

  hw::FastRng& eval_rng() { return eval_rng_; }
  double simulated_training_s() const { return sim_train_s_; }
  // The trainer's part of a checkpoint (random streams, peer-normalisation means, simulated time, the
  // rule's row cursors).
  void save(Checkpoint& c) const;
  void restore(const Checkpoint& c);

 private:
  struct Stats {
    double loss = 0, gpos = 0, gneg = 0;
    double distance = 0;  // representations: mean squared distance of the normalised activity to the teacher's
    long long steps = 0;
  };
  class Stack;  // the layers as goodness prediction sees them
  struct Buffers {
    Mat y, d;
    Vec g, p, c;
  };
  double forward_array(int k, const Mat& x, Mat& y, hw::FastRng& rng, double t_s);
  double forward_layer(int k, const Mat& x, Mat& y, Vec& g, ChipPeriphery& io, double t_s);
  void query(const Mat& images, int classes, Mat* scores, std::vector<Mat>* probabilities);
  double pass_on(const Mat& y, Mat& next, ChipPeriphery& io);
  double train_stage(int k, hw::Packet& pk, double t_s);
  float lr_of_step(long long step) const;
  // A batch matrix for packets leaving stage `stage` (0: the source) that no packet in flight holds: the
  // pool grows to the pipeline's depth in the first steps, then every step reuses its matrices.
  std::shared_ptr<Mat> free_batch(int stage);
  double turn_towards(const Mat& teacher_activity, ConstMatRef y, MatRef d, float scale) const;

  hw::Chip& chip_;
  const FFParams& p_;
  const FFSupervision& train_;
  std::uint64_t seed_;
  LabelCoding coding_;
  FFLayerParams lp_;
  NormKind input_norm_;
  std::unique_ptr<UpdateRule> rule_;
  hw::FastRng eval_rng_;
  Rng neg_rng_;
  hw::Ledger::Handle readout_;
  std::vector<int> chosen_;
  std::vector<hw::FastRng> layer_rng_;
  std::vector<PeerState> peer_;
  // Each layer's periphery seen by the training stage (its noise from the layer's stream) and by evaluation.
  std::vector<ChipPeriphery> train_io_, eval_io_;
  std::vector<float> theta_;
  std::vector<Buffers> buf_;
  std::vector<std::vector<std::shared_ptr<Mat>>> batches_;  // per stage (0: the source): free_batch's pool
  // The rows' targets of the batches in flight, by step: slot step % size, which holds that step's, one
  // column of rows after another, one per layer when the supervision gives each layer its own.
  std::vector<Vec> targets_;
  int target_columns_ = 1;
  // With a weighted supervision (FFSupervision::weighted), by slot as targets_: every row's weight.
  bool weighted_ = false;
  std::vector<Vec> row_weights_;
  // Representations: the teacher, the term's weight, and by slot as targets_ the teacher's normalised
  // activity of every layer for the rows of that step's batch.
  InSituFF* teacher_ = nullptr;
  float representation_weight_ = 0;
  std::vector<std::vector<Mat>> representations_;
  std::vector<long long> target_step_;
  long long last_done_ = -1;  // the last step the last stage finished
  std::vector<Stats> stats_;
  std::unique_ptr<hw::Pipeline> pipeline_;
  std::unique_ptr<SoftmaxClassifier> softmax_;  // the prediction of unsupervised FF
  bool readout_fitted_ = false;
  hw::Ledger::Handle feature_readout_{};          // its features' conversions
  long long fit_images_ = 0;                      // of the last fit
  double sim_train_s_ = 0;
  long long total_steps_ = 1;  // of the run: the rate schedule's denominator (set by train_epoch)
};

// The defaults of an in-situ run where they differ from digital FF's (FFParams), in one place: random
// negatives and prediction by goodness (both alternatives need a digitised read-out on the learning path),
// no momentum and no weight cost (plain pulsed SGD: decaying every weight means reading and rewriting the
// array), a smaller rate without momentum, and initial weights that put the goodness near its threshold so
// the first updates are not saturated.
struct InSituDefaults {
  std::string negatives = "random";
  std::string predict = "goodness";
  float momentum = 0.0f;     // analog momentum; > 0 puts a momentum array beside every layer
  float weight_cost = 0.0f;
  float lr = 0.004f;         // with plain pulses; with analog momentum the digital default stands
  float init_scale = 2.5f;
};

// For every option `app` was not given (on the command line or in its config file), the InSituDefaults
// value, written into `config` as the run uses it. Analog momentum is --analog-momentum or, as before it
// had its own name, --momentum: p.momentum and ip.analog_momentum both end with it, and so do both keys
// of `config`.
void apply_insitu_defaults(const CLI::App& app, FFParams& p, InSituParams& ip, nlohmann::json& config);

// Appends to the help of every FF option whose in-situ default differs from the digital one both defaults,
// e.g. "[digital: 0.02, in situ: 0.004 ...]" (InSituParams::add_options calls it).
void note_insitu_defaults(CLI::App& app);

// The in-situ run's update rule, after checking that p and ip are a run the chip can do (Error naming what
// it cannot: hard negatives, a softmax read-out, Adam, a weight cost, ...).
UpdateRuleParams insitu_rule(const FFParams& p, const InSituParams& ip);

// The chip of an in-situ run on `train`: the preset of ip.device with p's layers, the second device, the
// variability `perturbation` (when given), ip.hw's overrides (those of the energy into `energy`), a bias
// row, the rule's extra arrays and the layers' ranges.
hw::ChipParams insitu_chip(const FFParams& p, const InSituParams& ip, const UpdateRuleParams& rule, const Dataset& train,
                           hw::EnergyParams& energy, const Perturbation* perturbation = nullptr);

// Trains FF in situ and evaluates it (and the rival) over drift; returns the metrics section. `out` is
// the results path (the plot path derives from it); the chip's whole state is checkpointed at every
// epoch end to ck.path (ResumeOptions::for_run). The returned "status" is "finished" or "stopped"
// (ck.stop_after reached).
nlohmann::json run_insitu_ff(const FFParams& p, const InSituParams& ip, const Checkpointing& ck, std::uint64_t seed,
                             const std::string& out, const FFCurveCallback& on_epoch = {});

}  // namespace mortal
