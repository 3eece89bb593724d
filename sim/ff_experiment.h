#pragma once
// Forward-Forward on MNIST (Hinton 2022) over exact digital synaptic arrays, supervised (section 3.3: a
// label overlaid on the input) or unsupervised (section 3.2: hybrid images as negatives, no label enters the
// net, a linear softmax read-out on its activities): data, negatives, schedules, read-outs, evaluation and
// the results record. scenarios/ff_mnist is its
// command line; the benchmarks and tests call train_ff directly.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/dataset.h"
#include "model/digital_array.h"
#include "model/ff_net.h"
#include "model/ff_recurrent.h"
#include "model/hybrid_images.h"
#include "model/local_array.h"
#include "model/softmax.h"
#include "sim/resume.h"
#include "sim/run_data.h"

namespace CLI {
class App;
}  // namespace CLI

namespace mortal {

struct FFParams {
  std::string data_dir;  // default: default_data_dir()
  std::vector<int> layers = {1000, 1000};
  // One per layer, "W/S" (local receptive fields: model/local_array.h) or "dense"; empty: every layer dense
  std::vector<std::string> receptive_fields;
  int epochs = 15;       // pipelined: passes over the training set; greedy: passes per layer
  int batch = 100;       // positive images per step (each step also carries as many negatives)
  std::string schedule = "pipelined";  // or "greedy"

  // optimiser of the digital arrays; defaults: ffnew.m (REFERENCES.md)
  std::string optimiser = "sgd";
  float lr = 0.02f;
  float momentum = 0.9f;
  float momentum_final = -1.0f;  // < 0: constant; else momentum rises to this as the rate decays to zero
  float weight_cost = 0.001f;
  std::string lr_schedule = "halfdecay";  // "constant", or constant for the first half then linear to 0 (ffnew.m)
  double decay_from = 0.5;                // halfdecay: the fraction of the run after which the rate falls
  float init_scale = 1.0f;                // weights uniform in +-init_scale/sqrt(fan-in)

  // layer objective
  std::string goodness = "sum";  // or "mean"
  bool min_ssq = false;
  float theta = 0.0f;            // <= 0: units for the sum, 1 for the mean
  float temperature = 1.0f;
  std::string norm = "rms";      // activity normalisation before passing on: rms or l2
  std::string input_norm = "rms";
  float peer = 0.03f;            // peer-normalisation strength (ffnew.m 0.03); 0 off

  // supervision
  std::string negatives = "hard";  // or "random"; "hybrid": unsupervised FF (model/hybrid_images.h)
  int mask_passes = 6;             // hybrid: blurring passes of the mask (HybridMaskParams::passes)
  bool fixed_negatives = false;    // draw the negative labels once instead of every epoch
  bool pair_negatives = false;     // layer 0's products on the positives only (FFLayer::pair_negatives)
  std::string predict = "both";    // "goodness", "softmax" or "both"
  std::vector<int> readout_layers; // empty: default_readout_layers() of the mode
  std::vector<int> compare_readout_layers;  // a second softmax read-out on these layers, beside the first (empty: none)
  float label_value = 1.0f;
  float neutral_value = 0.1f;
  bool standardise = false;        // pixels -> (p - 0.1307) / 0.3081, the pytorch/examples input
  float readout_lr = 0.05f;
  float readout_weight_cost = 0.0f;  // the read-out's L2 pull to zero (SoftmaxParams::weight_decay)
  // Top-down effects (model/ff_recurrent.h): synchronous iterations of the recurrent net, each a step of FF
  // (0: the feed-forward net); the damping; the iterations whose goodness picks the label.
  int recurrent = 0;
  float damping = 0.3f;
  std::vector<int> score_iterations = {3, 5};
  int readout_epochs = 10;         // greedy schedule and unsupervised FF: read-out passes after the layers
  // A checkpoint of a digital run of the same net: its layers are taken as they are and only the read-outs
  // learn, for readout_epochs passes (empty: the layers learn)
  std::string layers_from;

  // data and evaluation
  int validation = 0;        // training images held out (not used for learning)
  std::uint64_t validation_seed = 1;  // the held-out images depend on it alone, not on the run's seed
  int train_limit = 0;       // use only this many training images (0: all)
  int test_limit = 0;        // evaluate on this many test images (0: all 10,000)
  int train_eval_limit = 10000;  // training images the final train error is measured on (0: all)
  int eval_every = 1;        // test error on the learning curve every this many epochs

  void add_options(CLI::App& app);
  void validate() const;
  FFLayerParams layer_params() const;
  OptimiserParams optimiser_params() const;
  SoftmaxParams readout_params() const;  // the linear softmax read-out's rate, momentum and weight cost
  LabelCoding label_coding() const;
  bool unsupervised() const { return negatives == "hybrid"; }
  // Supervised: all hidden layers but the first (paper, section 3.3), or the only one. Unsupervised: the
  // last three (section 3.2: the linear read-out of a 784-4x2000 net reads layers 2-4), or all of them in a
  // shallower net.
  std::vector<int> default_readout_layers() const;
  std::vector<int> chosen_readout_layers() const;  // readout_layers, or the default when it is empty
  RecurrentParams recurrent_params() const;
  // Layer l's receptive fields (dense without --receptive-fields).
  FieldGeometry field_geometry(int l) const;
  float lr_factor_at(double fraction) const;  // lr_factor of this run's schedule
};

// The defaults of the modes with one prediction, unless the run was given --predict (which validate() then
// refuses if it is another): unsupervised FF (--negatives hybrid) predicts by the softmax read-out, the
// recurrent net (--recurrent) by goodness. Each value used is recorded in `config`.
void apply_mode_defaults(const CLI::App& app, FFParams& p, nlohmann::json& config);

// Called after every epoch with the learning curve so far, so a long run leaves a usable record if it is
// stopped.
using FFCurveCallback = std::function<void(const nlohmann::json& curve)>;

// Trains on `train`, evaluates on `test`; returns the metrics section of the results file, with "status"
// "finished", or "stopped" when ck.stop_after is reached. `log` prints progress lines to stderr. The
// pipelined schedule checkpoints at every epoch end (with ck.path): the arrays with their optimiser state,
// the peer means, the read-out, the negatives' random stream and the learning curve.
// With `validation` (held-out training images, not learned from; null or empty: none), the pipelined
// schedule's curve gains each evaluation's "validation_error", and the metrics "validation_errors" and
// "selected_by_validation" (select_by_validation of the main prediction).
nlohmann::json train_ff(const FFParams& p, const Dataset& train, const Dataset& test, std::uint64_t seed,
                        bool log = true, const FFCurveCallback& on_epoch = {}, const Checkpointing& ck = {},
                        const Dataset* validation = nullptr);

// The curve's evaluation of lowest validation error for `prediction` (the earliest of equals): its epoch,
// validation error and test error, so a run's epoch is chosen on held-out training images, never on the
// test set; null when no entry has one.
nlohmann::json select_by_validation(const nlohmann::json& curve, const std::string& prediction);

// " | test error goodness 1.75% (train 0.50%, validation 1.60%)": each prediction's test error in `test`,
// with its train and validation errors beside it where `train` and `validation` (null: none) hold them.
std::string errors_text(const nlohmann::json& test, const nlohmann::json& train = nullptr,
                        const nlohmann::json& validation = nullptr);
// The same for a learning curve's entry (its "test_error", "train_error" and "validation_error"); "" for an
// entry not evaluated.
std::string curve_errors_text(const nlohmann::json& entry);
// Adds to a run's `metrics` (with its "curve") what its `examples` held-out images say: "validation_examples",
// "validation_errors" (`errors`, one per prediction) and "selected_by_validation" of `prediction`.
void add_validation(nlohmann::json& metrics, int examples, const nlohmann::json& errors,
                    const std::string& prediction);

// A curve entry's "layers": each layer's loss and goodness of positive and negative rows, the sums `sum` of
// an epoch's `steps` steps averaged.
nlohmann::json layer_stats_json(const std::vector<FFStepStats>& sum, int steps);
// Adds a step's statistics `s` to the epoch's sums.
void accumulate(std::vector<FFStepStats>& sum, const std::vector<FFStepStats>& s);

// A linear softmax read-out and the features it learns from, fixed while it learns (the frozen net's
// normalised activities).
struct ReadoutFit {
  SoftmaxClassifier& classifier;
  const Mat& features;  // (images, the classifier's features)
};
// p.readout_epochs passes of SGD over every fit's features at once, in an order drawn from the stream
// (seed, "ff.readout.order", pass), at p.readout_lr times the run's rate schedule over the passes; labels:
// one per feature row. The curve gains {"readout_epoch", "readout_loss"} (the first fit's mean loss) per
// pass; `log` prints a progress line for each.
void fit_readouts(const FFParams& p, std::uint64_t seed, const std::vector<int>& labels,
                  const std::vector<ReadoutFit>& fits, nlohmann::json& curve, bool log);

// The masks of a run's hybrid negatives (--negatives hybrid), for square images of `features` pixels.
HybridMaskParams hybrid_mask_params(const FFParams& p, int features);

// MNIST as the params select it (load_run_data: the training limit's subset drawn from the run's seed, the
// validation split from p.validation_seed), then standardised if p.standardise.
RunData load_ff_data(const FFParams& p, std::uint64_t seed);

// CPU seconds of this process over all its threads: on a loaded machine, what the run would take alone.
double cpu_seconds();

// Loads the data (load_ff_data), then train_ff.
nlohmann::json run_ff(const FFParams& p, std::uint64_t seed, const FFCurveCallback& on_epoch = {},
                      const Checkpointing& ck = {});

// The digital arrays of a run's FF layers (bias column included), initialised from the seed: what train_ff
// starts from, and what an in-situ run programs onto its chip.
std::vector<std::unique_ptr<SynapticArray>> make_ff_arrays(const FFParams& p, int features, std::uint64_t seed);
// Each FF layer's blocks of local receptive fields (model/local_array.h) over the layer below, the bias column
// (input `the layer below's width`) seen by every block; an empty list for a dense layer. Error naming the
// layer when its fields do not tile the layer below.
std::vector<std::vector<FieldBlock>> ff_field_blocks(const FFParams& p, int features);

// lr multiplier after `fraction` of training: 1, or (halfdecay) 1 up to decay_from of the run, then
// linearly down to 0 at its end.
float lr_factor(const std::string& schedule, double fraction, double decay_from = 0.5);

}  // namespace mortal
