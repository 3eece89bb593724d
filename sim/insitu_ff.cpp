#include "sim/insitu_ff.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "core/checkpoint.h"
#include "core/error.h"
#include "core/rng.h"
#include "hw/chip.h"
#include "hw/pipeline.h"
#include "model/digital_array.h"
#include "model/softmax.h"
#include "sim/bp_experiment.h"
#include "sim/chip_rival.h"
#include "sim/cli.h"
#include "sim/drift_evaluation.h"
#include "sim/hw_config.h"
#include "sim/epoch_runner.h"
#include "sim/plot.h"
#include "sim/progress.h"
#include "sim/recurrent_insitu.h"
#include "sim/results.h"
#include "sim/run_eta.h"
#include "sim/supervision.h"

namespace mortal {

void InSituParams::add_options(CLI::App& app) {
  const std::string chip = "Chip", rule = "Update rule (in situ)", output = "Output";
  app.add_option("--device", device,
                 "digital (exact arrays), or FF in situ on a chip of this device preset: " + hw::device_preset_names())
      ->group(chip);
  list_option(app.add_option("--hw", hw, "Hardware parameter override path=value, repeatable (e.g. device.dw_min=0.002)")
                  ->group(chip),
              false);
  app.add_option("--weight-copies", weight_copies,
                 "In situ: devices per weight, each written the same change by its own pulses and read as their mean "
                 "(the same as --hw weight_copies=N)")
      ->group(chip);
  app.add_option("--w-scale", w_scale, "In situ: weight of a full device range (user units)")->group(chip);
  app.add_option("--input-range", input_range, "In situ: first layer DAC full scale (0: largest training input)")
      ->group(chip);
  app.add_option("--hidden-range", hidden_range, "In situ: drive swing of hidden-layer analog inputs")->group(chip);
  app.add_option("--output-range", output_range, "In situ: TIA swing, normalised units (0: the ADC range)")->group(chip);
  app.add_option("--fifo-depth", fifo_depth, "In situ: depth of the fifos between pipeline stages")->group(chip);
  list_option(app.add_option("--drift-times", drift_times, "In situ: idle times (s) after training to evaluate at")
                  ->group(chip));
  app.add_option("--rival", rival, "In situ: bp (BP trained digitally, programmed onto the same chip) or none")
      ->group(chip);
  app.add_option("--rival-epochs", rival_epochs, "In situ: epochs of the BP rival")->group(chip);
  app.add_option("--analog-momentum", analog_momentum,
                 "In situ: a momentum array beside every layer, read row by row into the weights, with this momentum "
                 "(0: plain pulsed SGD; --momentum in situ is the same option, its earlier name)")
      ->group(rule);
  app.add_option("--momentum-gain", momentum.gain,
                 "In situ with analog momentum: the momentum array holds this times lr0 v (normalised units; lr0 the "
                 "base rate)")
      ->group(rule);
  app.add_option("--momentum-every", momentum.every,
                 "In situ with analog momentum: steps between transfers of a momentum-array row (1: every step)")
      ->group(rule);
  app.add_option("--momentum-decay", momentum.decay,
                 "In situ with analog momentum: pulses (V's decay written back by pulses) or share (charge sharing on "
                 "a momentum array of charge-storing cells, e.g. --second-device capacitor)")
      ->check(CLI::IsMember({"pulses", "share"}))
      ->group(rule);
  app.add_option("--momentum-lr-at", momentum.lr_at,
                 "In situ with analog momentum: where the learning-rate schedule acts: transfer (W += lr v, V holds "
                 "the velocity at the base rate) or gradient (V holds lr v)")
      ->check(CLI::IsMember({"transfer", "gradient"}))
      ->group(rule);
  app.add_option("--second-device", second_device,
                 "In situ with analog momentum or --carry: device preset of the second arrays (default: the weights')")
      ->group(rule);
  app.add_option("--carry", carry.factor,
                 "In situ: a fine array weighing 1/this beside every layer takes the pulses (with analog momentum: the "
                 "momentum array's transfer) and is carried into the weights row by row (0: off)")
      ->group(rule);
  app.add_flag("--carry-whole", carry.whole,
               "In situ with --carry: carry whole device steps only, the remainder staying in the fine array")
      ->group(rule);
  app.add_flag("--carry-hidden", carry.hidden,
               "In situ with --carry: forward passes read the weights alone, not the fine array")
      ->group(rule);
  app.add_option("--carry-every", carry.every,
                 "In situ with --carry: steps between two carries of a fine-array row (1: every row every step)")
      ->group(rule);
  app.add_flag("--mixed-precision", mixed_precision,
               "In situ: mixed-precision updates (Nandakumar et al. 2018): a digital accumulator per weight, whole "
               "device steps pulsed into the weights as it passes them (no analog momentum, no --carry)")
      ->group(rule);
  app.add_option("--plot", plot, "In situ: drift plot stem (default: results path without .json + _drift)")
      ->group(output);
  note_insitu_defaults(app);
  // A replayed in-situ run records analog momentum under both its names, and devices per weight may come
  // as either option: an override on the command line under one name wins over the record under the other.
  if (app.get_option_no_throw("--momentum") != nullptr) alias_options(app, "analog-momentum", "momentum");
  alias_options(app, "weight-copies", "hw", "weight_copies=");
}

void InSituParams::validate() const {
  if (!in_situ()) {
    // A digital run has no chip: a chip setting on it would be recorded as if it had acted.
    const InSituParams d;
    std::vector<std::string> set;
    if (!hw.empty()) set.push_back(fmt::format("hw {}", fmt::join(hw, " ")));
    if (weight_copies != d.weight_copies) set.push_back("weight-copies");
    if (analog_momentum != d.analog_momentum) set.push_back("analog-momentum");
    if (w_scale != d.w_scale) set.push_back("w-scale");
    if (input_range != d.input_range) set.push_back("input-range");
    if (hidden_range != d.hidden_range) set.push_back("hidden-range");
    if (output_range != d.output_range) set.push_back("output-range");
    if (drift_times != d.drift_times) set.push_back("drift-times");
    if (rival != d.rival || rival_epochs != d.rival_epochs) set.push_back("rival");
    if (fifo_depth != d.fifo_depth) set.push_back("fifo-depth");
    if (momentum.gain != d.momentum.gain || momentum.every != d.momentum.every || momentum.decay != d.momentum.decay ||
        momentum.lr_at != d.momentum.lr_at)
      set.push_back("momentum-gain/-every/-decay/-lr-at");
    if (carry.factor != d.carry.factor || carry.every != d.carry.every || carry.whole != d.carry.whole ||
        carry.hidden != d.carry.hidden)
      set.push_back("carry");
    if (second_device != d.second_device) set.push_back("second-device");
    if (!plot.empty()) set.push_back("plot");
    if (trace.on()) set.push_back("trace");
    require(set.empty(), "{} set(s) the chip, but this run is digital (no --device): add --device PRESET or leave them "
            "out", fmt::join(set, ", "));
    return;
  }
  trace.validate();
  // The preset (names the known ones when unknown) and the overrides, checked before any data is loaded.
  hw::ChipParams chip = hw::chip_preset(device, {1, 1});
  chip.damping_stage = true;  // its settings are checked here; a chip without the stage refuses them when built
  if (!second_device.empty()) chip.set_second_device(second_device);
  hw::EnergyParams energy;
  require(weight_copies >= 1, "weight-copies must be at least 1, got {}", weight_copies);
  for (const std::string& o : hw)
    require(weight_copies == 1 || o.rfind("weight_copies=", 0) != 0,
            "weight-copies {} and --hw {} name the same setting twice: give one", weight_copies, o);
  apply_hw_overrides(chip, energy, hw_overrides());
  check_positive("w-scale", w_scale);
  check_nonnegative("input-range", input_range);
  check_positive("hidden-range", hidden_range);
  check_nonnegative("output-range", output_range);
  for (double t : drift_times) check_positive("drift-times", t);
  require(std::is_sorted(drift_times.begin(), drift_times.end()), "drift-times must be in increasing order");
  require(rival == "bp" || rival == "none", "rival must be bp or none, got '{}'", rival);
  require(rival_epochs >= 1, "rival-epochs must be at least 1, got {}", rival_epochs);
  require(fifo_depth >= 1, "fifo-depth must be at least 1, got {}", fifo_depth);
  momentum.validate();
  carry.validate();
}

namespace {

constexpr float kBias = hw::kBiasDrive;

// The ADC-free label read-out: ten goodness sums compared by a winner-take-all, the winner's index
// encoded; costed as one ADC conversion per image.
hw::Ledger::Handle label_readout_counter(hw::Chip& chip) {
  return chip.ledger().counter(std::string(chip.name()) + ".label_readout", "adc_conversion",
                               chip.ledger().params().adc_conversion_pj);
}

}  // namespace

InSituFF::InSituFF(hw::Chip& chip, const FFParams& p, const FFSupervision& train, std::uint64_t seed, int fifo_depth,
                   const UpdateRuleParams& rule)
    : chip_(chip),
      p_(p),
      train_(train),
      seed_(seed),
      coding_(p.label_coding()),
      lp_(p.layer_params()),
      input_norm_(parse_norm(p.input_norm)),
      rule_(make_update_rule(rule, chip)),
      eval_rng_(seed, "insitu.eval"),
      neg_rng_(make_rng(seed, "ff.negatives")),
      readout_(label_readout_counter(chip)) {
  coding_.classes = train.classes();
  coding_.validate(train.features());
  const int L = chip.layers();
  require(train.target_layers() == 0 || train.target_layers() == L,
          "the supervision gives targets for {} layers, but the chip has {}: each layer learns towards its own",
          train.target_layers(), L);
  target_columns_ = std::max(1, train.target_layers());
  weighted_ = train.weighted();
  require(train.labels_written() != p.unsupervised(),
          "negatives {}: the supervision {} labels, the run expects {}", p.negatives,
          train.labels_written() ? "writes" : "writes no", p.unsupervised() ? "none" : "them");
  chosen_ = !p.readout_layers.empty() ? p.readout_layers
            : p.unsupervised()         ? p.default_readout_layers()
                                       : default_readout_layers(L);
  for (int k : chosen_)
    require(k >= 0 && k < L, "readout layer {} outside 0..{}", k, L - 1);
  if (p.unsupervised()) {
    int width = 0;
    for (int k : chosen_) width += units_of(k);
    softmax_ = std::make_unique<SoftmaxClassifier>(width, train.classes(), p.readout_params());
    feature_readout_ = chip.ledger().counter(std::string(chip.name()) + ".feature_readout", "adc_conversion",
                                             chip.ledger().params().adc_conversion_pj);
  }
  std::vector<hw::PipelineStage::Work> stages;
  layer_rng_.reserve(std::size_t(L));  // the peripheries hold their streams
  for (int k = 0; k < L; ++k) {
    const int units = units_of(k);
    layer_rng_.emplace_back(seed, "insitu.layer", std::uint64_t(k));
    peer_.emplace_back(units, lp_.peer_initial);
    theta_.push_back(lp_.objective.threshold(units));
    train_io_.emplace_back(chip, k, lp_.objective, theta_.back(), layer_rng_.back());
    eval_io_.emplace_back(chip, k, lp_.objective, theta_.back(), eval_rng_);
    stages.push_back([this, k](hw::Packet& pk, double t_s) { return train_stage(k, pk, t_s); });
  }
  buf_.resize(std::size_t(L));
  batches_.resize(std::size_t(L));
  stats_.resize(std::size_t(L));
  // At most a packet per stage and per fifo place (the source's fifo, one after every stage) is in flight.
  const std::size_t in_flight = std::size_t(L + 1) * std::size_t(fifo_depth + 1) + 1;
  targets_.resize(in_flight);
  if (weighted_) row_weights_.resize(in_flight);
  target_step_.assign(in_flight, -1);
  pipeline_ = std::make_unique<hw::Pipeline>(sc_core::sc_gen_unique_name("ff_pipeline"), std::move(stages), fifo_depth);
  pipeline_->sink.keep(false);
}

// The same initial weights as the digital run of this seed, written by program-and-verify.
void InSituFF::program_initial() {
  const auto arrays = make_ff_arrays(p_, train_.features(), seed_);
  for (int k = 0; k < layers(); ++k) {
    Mat w(units_of(k), inputs_of(k));
    arrays[std::size_t(k)]->read_weights(w);
    chip_.program(k, w);
  }
}

void InSituFF::trace(sc_core::sc_trace_file* tf, long long steps) { pipeline_->trace_signals(tf, steps, chip_.ledger()); }

// One pass over the training set through the pipeline; returns the epoch's curve entry.
nlohmann::json InSituFF::train_epoch(int epoch, long long& step, long long total_steps) {
  const int n = train_.size(), F = train_.features(), b_max = p_.batch;
  total_steps_ = total_steps;
  const std::vector<int> order = shuffled_indices(n, stream_seed(seed_, "ff.order", std::uint64_t(epoch)));
  for (auto& s : stats_) s = {};
  int start = 0;
  // Every image's overlays, each a block of the batch's rows: overlay j of image i is row j b + i (with two,
  // the positives, then the negatives).
  const int m = train_.overlays_per_image();
  std::vector<int> labels;
  Mat rows;  // every overlay's image, as the batch's rows
  std::vector<Overlay> ov;
  pipeline_->source.feed([&](hw::Packet& pk) {
    if (start >= n) return false;
    const int b = std::min(b_max, n - start);
    rows.resize(m * b, F);
    labels.resize(std::size_t(m) * std::size_t(b));
    const std::size_t slot = std::size_t(step) % targets_.size();
    require(target_step_[slot] <= last_done_, "more batches in flight than the pipeline holds");
    target_step_[slot] = step;
    // One column of m b rows per layer that has targets of its own (train_stage reads layer k's).
    Vec& target = targets_[slot];
    target.resize(m * b * target_columns_);
    if (weighted_) row_weights_[slot].resize(m * b);
    for (int i = 0; i < b; ++i) {
      const int k = order[std::size_t(start + i)];
      train_.overlays(k, neg_rng_, ov);
      require(int(ov.size()) == m, "image {}: {} overlays, the supervision promised {}", k, ov.size(), m);
      for (int j = 0; j < m; ++j) {
        const Overlay& o = ov[std::size_t(j)];
        require(o.image.size() == 0 || o.image.size() == F, "image {}: an overlay's own image has {} pixels, not {}", k,
                o.image.size(), F);
        if (o.image.size() > 0)
          rows.row(j * b + i) = o.image;
        else
          rows.row(j * b + i) = train_.images().row(k);
        labels[std::size_t(j * b + i)] = o.label;
        if (weighted_) row_weights_[slot](j * b + i) = o.weight;
        if (o.layers.empty() && target_columns_ == 1) {
          target(j * b + i) = o.target;
          continue;
        }
        require(int(o.layers.size()) == target_columns_,
                "image {}: an overlay with targets for {} layers, the supervision promised {}", k, o.layers.size(),
                target_columns_);
        for (int c = 0; c < target_columns_; ++c) target(m * b * c + j * b + i) = o.layers[std::size_t(c)];
      }
    }
    // The teacher's layers on the same overlays, as the rows of the batch.
    if (teacher_) teacher_->activities(rows, labels, coding_.classes, representations_[slot]);
    std::shared_ptr<Mat> x = free_batch(0);
    x->resize(m * b, F + 1);
    if (train_.labels_written())
      overlay_labels(x->leftCols(F), rows, labels, coding_);
    else
      x->leftCols(F) = rows;
    normalise_rows(x->leftCols(F), x->leftCols(F), input_norm_, lp_.norm_eps);
    x->col(F).setConstant(kBias);
    pk.id = int(step);  // the step: its rates (lr_of_step) and its rows' targets follow from it
    pk.x = std::move(x);
    start += b;
    ++step;
    return true;
  });
  chip_.sync();
  const double t0 = hw::sim_now_s();
  const long long c0 = pipeline_->sink.count();
  pipeline_->sink.reset_latency_sum();
  sc_core::sc_start();
  const double sim_s = hw::sim_now_s() - t0;
  const long long packets = pipeline_->sink.count() - c0;
  require(start >= n && packets == (n + b_max - 1) / b_max, "pipeline delivered {} of {} batches", packets,
          (n + b_max - 1) / b_max);
  sim_train_s_ += sim_s;
  nlohmann::json ls = nlohmann::json::array();
  for (int k = 0; k < layers(); ++k) {
    const Stats& s = stats_[std::size_t(k)];
    nlohmann::json l = {{"loss", s.loss / double(s.steps)},
                        {"goodness_pos", s.gpos / double(s.steps)},
                        {"goodness_neg", s.gneg / double(s.steps)}};
    if (teacher_) l["representation_distance"] = s.distance / double(s.steps);
    rule_->report(k, l);  // how much of their range its extra arrays use
    ls.push_back(l);
  }
  return {{"layers", ls},
          {"simulated_s", sim_s},
          {"images_per_simulated_s", n / sim_s},
          {"latency_s", pipeline_->sink.latency_sum_s() / double(packets)}};
}

// Goodness prediction on the chip: every label's overlay through the layers, the chosen layers' goodness
// summed, the largest wins.
double InSituFF::error(const Dataset& s) { return error_rate(predict(s), s.labels); }

std::vector<int> InSituFF::predict(const Dataset& s) {
  if (softmax_) {
    require(readout_fitted_, "the softmax read-out predicts once it is fitted (fit_readout)");
    Mat f;
    features(s.images, f);
    return softmax_->predict(f);
  }
  Mat sc;
  scores(s.images, s.num_classes, sc);
  return argmax_rows(sc);
}

void InSituFF::scores(const Mat& images, int classes, Mat& scores) { query(images, classes, &scores, nullptr); }

void InSituFF::layer_probabilities(const Mat& images, int classes, std::vector<Mat>& probabilities) {
  query(images, classes, nullptr, &probabilities);
}

// The chip's layers as goodness prediction sees them (model/ff_readout.h): the evaluation's periphery and
// random stream, each use advancing the chip's clock.
class InSituFF::Stack final : public FFStack {
 public:
  Stack(InSituFF& t, int top) : t_(t), x_(std::size_t(top)) {}
  MatRef input(int rows) override {
    x_[0].resize(rows, t_.train_.features() + 1);
    return x_[0].leftCols(t_.train_.features());
  }
  void normalise_input() override {
    const int F = t_.train_.features();
    normalise_rows(x_[0].leftCols(F), x_[0].leftCols(F), t_.input_norm_, t_.lp_.norm_eps);
    x_[0].col(F).setConstant(kBias);
  }
  Eigen::Ref<const Vec> forward(int k) override {
    t_.chip_.advance_ns(t_.forward_layer(k, x_[std::size_t(k)], y_, g_, io(k), t_.chip_.now_s()));
    return g_;
  }
  void pass_on(int k) override { t_.chip_.advance_ns(t_.pass_on(y_, x_[std::size_t(k) + 1], io(k))); }
  // What layer k reads (k > 0: the normalised activity of layer k - 1, with the bias drive).
  const Mat& input_of(int k) const { return x_[std::size_t(k)]; }
  ChipPeriphery& io(int k) { return t_.eval_io_[std::size_t(k)]; }

 private:
  InSituFF& t_;
  std::vector<Mat> x_;
  Mat y_;
  Vec g_;
};

// Every label's overlay of every image through the layers: the chosen layers' goodness summed into
// `scores`, or every layer's sigmoid unit's output into `probabilities` (one read-out per image, or one per
// image, label and layer).
void InSituFF::query(const Mat& images, int classes, Mat* scores, std::vector<Mat>* probabilities) {
  const Eigen::Index n = images.rows();
  LabelCoding coding = coding_;
  coding.classes = classes;
  const int top = probabilities ? layers() : *std::max_element(chosen_.begin(), chosen_.end()) + 1;
  Stack stack(*this, top);
  if (scores) {
    scores->resize(n, classes);
    goodness_scores(stack, *scores, images, coding, chosen_, lp_.objective.sign());
  }
  if (probabilities) {
    probabilities->assign(std::size_t(top), Mat(n, classes));
    Vec p;
    overlay_query(stack, images, coding, top, [&](int k, Eigen::Index start, int c, const Eigen::Ref<const Vec>& g) {
      p.resize(g.size());
      stack.io(k).probability(p, g);
      chip_.advance_ns(stack.io(k).take_ns());
      (*probabilities)[std::size_t(k)].block(start, c, g.size(), 1) = p;
    });
  }
  chip_.ledger().add(readout_, probabilities ? double(n) * classes * top : double(n));
}

void InSituFF::activities(const Mat& images, const std::vector<int>& labels, int classes, std::vector<Mat>& activity) {
  const int n = int(images.rows());
  require(int(labels.size()) == n, "activities: {} labels for {} images", labels.size(), n);
  LabelCoding coding = coding_;
  coding.classes = classes;
  Stack stack(*this, layers() + 1);  // the last layer passes its activity on too: into the query's result
  overlay_labels(stack.input(n), images, labels, coding);
  stack.normalise_input();
  activity.resize(std::size_t(layers()));
  double conversions = 0;
  for (int k = 0; k < layers(); ++k) {
    stack.forward(k);
    stack.pass_on(k);
    activity[std::size_t(k)] = stack.input_of(k + 1).leftCols(units_of(k));
    conversions += double(n) * units_of(k);
  }
  chip_.ledger().add(readout_, conversions);
}

void InSituFF::features(const Mat& images, Mat& f) {
  const Eigen::Index n = images.rows();
  int width = 0;
  for (int k : chosen_) width += units_of(k);
  f.resize(n, width);
  const int top = *std::max_element(chosen_.begin(), chosen_.end()) + 1;
  constexpr Eigen::Index chunk = 1000;
  for (Eigen::Index start = 0; start < n; start += chunk) {
    const int b = int(std::min(chunk, n - start));
    Stack stack(*this, top + 1);  // the top chosen layer passes its activity on: into the features
    stack.input(b) = images.middleRows(start, b);
    stack.normalise_input();
    for (int k = 0; k < top; ++k) {
      stack.forward(k);
      stack.pass_on(k);
    }
    int col = 0;
    for (int k : chosen_) {
      f.block(start, col, b, units_of(k)) = stack.input_of(k + 1).leftCols(units_of(k));
      col += units_of(k);
    }
  }
  chip_.ledger().add(feature_readout_, double(n) * width);
}

void InSituFF::fit_readout(const Dataset& labelled, nlohmann::json& curve, bool log) {
  require(softmax_ != nullptr, "fit_readout: this run predicts by goodness, it has no softmax read-out");
  Mat f;
  features(labelled.images, f);
  *softmax_ = SoftmaxClassifier(int(f.cols()), labelled.num_classes, softmax_->params());
  fit_readouts(p_, seed_, labelled.labels, {{*softmax_, f}}, curve, log);
  readout_fitted_ = true;
  fit_images_ = labelled.size();
}

nlohmann::json InSituFF::readout_record() const {
  if (!softmax_) return nullptr;
  const long long width = softmax_->weights().cols(), classes = softmax_->weights().rows();
  return {{"where", "off the chip, digital: a linear softmax on the features the chip's ADCs convert"},
          {"layers", chosen_},
          {"features", width},
          {"classes", classes},
          {"fit_images", fit_images_},
          {"fit_passes", p_.readout_epochs},
          {"fit_multiply_accumulates", 2.0 * double(width * classes) * double(fit_images_) * p_.readout_epochs}};
}

void InSituFF::save(Checkpoint& c) const {
  for (int k = 0; k < layers(); ++k) {
    c.put_json(fmt::format("trainer.layer{}.rng", k), layer_rng_[std::size_t(k)].state());
    c.put(fmt::format("trainer.layer{}.peer_mean", k), Mat(peer_[std::size_t(k)].mean));
  }
  rule_->save(c);
  c.put_json("trainer.eval_rng", eval_rng_.state());
  c.put("trainer.negatives", neg_rng_);
  c.put_json("trainer.simulated_training_s", sim_train_s_);
}
void InSituFF::restore(const Checkpoint& c) {
  for (int k = 0; k < layers(); ++k) {
    layer_rng_[std::size_t(k)].set_state(
        c.get_json(fmt::format("trainer.layer{}.rng", k)).get<std::array<std::uint64_t, 4>>());
    Mat m;
    c.get(fmt::format("trainer.layer{}.peer_mean", k), m);
    require(m.rows() == 1 && m.cols() == units_of(k), "checkpoint: layer {} peer means are {}x{}, want 1x{}", k,
            m.rows(), m.cols(), units_of(k));
    peer_[std::size_t(k)].mean = m.row(0);
    require(peer_[std::size_t(k)].mean.allFinite(), "checkpoint entry 'trainer.layer{}.peer_mean' holds a value that is not "
            "finite", k);
  }
  rule_->restore(c);
  eval_rng_.set_state(c.get_json("trainer.eval_rng").get<std::array<std::uint64_t, 4>>());
  c.get("trainer.negatives", neg_rng_);
  sim_train_s_ = c.get_json("trainer.simulated_training_s").get<double>();
  require(std::isfinite(sim_train_s_) && sim_train_s_ >= 0,
          "checkpoint entry 'trainer.simulated_training_s' is {}, not a time", sim_train_s_);
}

// Crossbar (analog out) and the rule's arrays read beside it. x: (rows, inputs with bias); y: (rows, units).
// Returns the simulated time.
double InSituFF::forward_array(int k, const Mat& x, Mat& y, hw::FastRng& rng, double t_s) {
  y.resize(int(x.rows()), units_of(k));
  const double ns = chip_.forward_at(k, y, x, t_s, rng, hw::ForwardIO{k == 0, false}).ns;
  // Arrays of the rule's read beside the weights (a carry's fine array), at the same time.
  return std::max(ns, rule_->forward_extra(k, y, x, t_s, rng));
}

// forward_array, then the analog ReLU and goodness integrator; g: (rows). Returns the simulated time.
double InSituFF::forward_layer(int k, const Mat& x, Mat& y, Vec& g, ChipPeriphery& io, double t_s) {
  const double ns = forward_array(k, x, y, io.rng(), t_s);
  g.resize(x.rows());
  io.activate(y, g);
  return ns + io.take_ns();
}

void InSituFF::finish_training() { rule_->finish(layer_rng_); }

void InSituFF::learn_representations(InSituFF& teacher, float weight) {
  require(std::isfinite(weight) && weight >= 0, "representation weight must be finite and at least 0, got {}", weight);
  require(&teacher != this, "a chip cannot learn the representations of its own layers");
  require(train_.labels_written(), "representations: the teacher reads the student's label overlays, and this "
          "student's supervision writes no label");
  require(teacher.layers() == layers(), "representations: the teacher has {} layers, the student {}", teacher.layers(),
          layers());
  for (int k = 0; k < layers(); ++k)
    require(teacher.units_of(k) == units_of(k),
            "representations: the teacher's layer {} has {} units, the student's {}: each student unit follows the "
            "teacher's unit of its place", k, teacher.units_of(k), units_of(k));
  teacher_ = &teacher;
  representation_weight_ = weight;
  representations_.resize(targets_.size());
}

// The representation term of one layer's delta, added to d: weight * scale * (|y_i| t_i - y_i) for every row i,
// where t is the teacher's normalised activity for the row's overlay and |y_i| the length the layer's
// normaliser divides by (rms or l2, as the run normalises). Returns the mean over rows of the squared
// distance, per unit, between the student's normalised activity and the teacher's.
double InSituFF::turn_towards(const Mat& teacher_activity, ConstMatRef y, MatRef d, float scale) const {
  const Eigen::Index rows = y.rows(), units = y.cols();
  require(teacher_activity.rows() == rows && teacher_activity.cols() == units,
          "representations: the teacher gave {}x{} activities for a batch of {}x{}", teacher_activity.rows(),
          teacher_activity.cols(), rows, units);
  const float k = representation_weight_ * scale;
  const bool l2 = lp_.norm == NormKind::l2;
  double distance = 0;
  for (Eigen::Index i = 0; i < rows; ++i) {
    const float ss = y.row(i).squaredNorm();
    const float len = std::sqrt(l2 ? ss : ss / float(units)) + lp_.norm_eps;
    distance += double((y.row(i) / len - teacher_activity.row(i)).squaredNorm()) / double(units);
    d.row(i) += k * (len * teacher_activity.row(i) - y.row(i));
  }
  return distance / double(std::max<Eigen::Index>(1, rows));
}

std::shared_ptr<Mat> InSituFF::free_batch(int stage) {
  std::vector<std::shared_ptr<Mat>>& pool = batches_[std::size_t(stage)];
  // Single-threaded (SystemC runs one process at a time): a count of one means only the pool holds it.
  for (const std::shared_ptr<Mat>& m : pool)
    if (m.use_count() == 1) return m;
  pool.push_back(std::make_shared<Mat>());
  return pool.back();
}

float InSituFF::lr_of_step(long long step) const {
  return p_.lr * p_.lr_factor_at(double(step) / double(total_steps_));
}

// The length normaliser's output, with the bias drive appended: the next layer's input.
double InSituFF::pass_on(const Mat& y, Mat& next, ChipPeriphery& io) {
  const int rows = int(y.rows()), units = int(y.cols());
  next.resize(rows, units + 1);
  io.normalise(next.leftCols(units), y);
  next.col(units).setConstant(kBias);
  return io.take_ns();
}

// Stage k of the training pipeline: forward, the FF step (model/ff_step.h) through the layer's analog
// periphery, the rule's pulsed update, activity passed on.
double InSituFF::train_stage(int k, hw::Packet& pk, double t_s) {
  const Mat& x = *pk.x;
  const int rows = int(x.rows());
  ChipPeriphery& io = train_io_[std::size_t(k)];
  Buffers& w = buf_[std::size_t(k)];
  double ns = forward_array(k, x, w.y, io.rng(), t_s);

  const std::size_t slot = std::size_t(pk.id) % targets_.size();
  require(target_step_[slot] == pk.id, "batch {}: its targets are gone from the ring", pk.id);
  // This layer's column of the batch's targets (the only one when every layer learns towards the same).
  const Eigen::Ref<const Vec> target = targets_[slot].segment(target_columns_ == 1 ? 0 : k * rows, rows);
  w.g.resize(rows);
  w.p.resize(rows);
  w.c.resize(rows);
  w.d.resize(rows, w.y.cols());
  // The column pulse trains carry the step's delta: each unit's activity scaled by its row's signal, with
  // peer normalisation's push on positive rows.
  const FFStepStats s = ff_step(io, lp_, w.y, w.g, w.p, w.c, w.d, target, 1.0f / float(rows), peer_[std::size_t(k)]);
  // Weighted overlays: each row's share of the step (a gain on its pulse trains).
  if (weighted_) w.d.array().colwise() *= row_weights_[slot].array();
  ns += io.take_ns();
  Stats& st = stats_[std::size_t(k)];
  if (teacher_) st.distance += turn_towards(representations_[slot][std::size_t(k)], w.y, w.d, 1.0f / float(rows));
  st.loss += s.loss;
  st.gpos += s.goodness_pos;
  st.gneg += s.goodness_neg;
  ++st.steps;

  ns = rule_->step(RuleStep{k, x, w.d, lr_of_step(pk.id), lr_of_step(pk.id + 1LL), t_s, ns, io.rng()});

  if (k + 1 < layers()) {
    std::shared_ptr<Mat> next = free_batch(k + 1);
    ns += pass_on(w.y, *next, io);
    pk.x = std::move(next);
  } else {
    last_done_ = pk.id;
  }
  return ns;
}

std::vector<std::string> InSituParams::hw_overrides() const {
  std::vector<std::string> all;
  if (weight_copies != 1) all.push_back(fmt::format("weight_copies={}", weight_copies));
  all.insert(all.end(), hw.begin(), hw.end());
  return all;
}

void note_insitu_defaults(CLI::App& app) {
  const FFParams digital;
  const InSituDefaults in_situ;
  const auto note = [&app](const std::string& name, const std::string& text) {
    CLI::Option* opt = app.get_option_no_throw("--" + name);
    if (opt != nullptr) opt->description(opt->get_description() + " " + text);
  };
  note("negatives", fmt::format("[digital: {}, in situ: {}]", digital.negatives, in_situ.negatives));
  note("predict", fmt::format("[digital: {}, in situ: {}]", digital.predict, in_situ.predict));
  note("momentum", fmt::format("[digital: {}, in situ: {}]", digital.momentum, in_situ.momentum));
  note("weight-cost", fmt::format("[digital: {}, in situ: {}]", digital.weight_cost, in_situ.weight_cost));
  note("lr", fmt::format("[digital: {}, in situ: {} with plain pulses, {} with analog momentum]", digital.lr,
                         in_situ.lr, digital.lr));
  note("init-scale", fmt::format("[digital: {}, in situ: {}]", digital.init_scale, in_situ.init_scale));
}

void apply_insitu_defaults(const CLI::App& app, FFParams& p, InSituParams& ip, nlohmann::json& config) {
  const InSituDefaults d;
  default_unless_given(app, config, "negatives", p.negatives, d.negatives);
  default_unless_given(app, config, "predict", p.predict, d.predict);
  // Analog momentum, by its own name or by --momentum (its name before it had one): both record the value.
  if (app.count("--analog-momentum") > 0) {
    require(app.count("--momentum") == 0 || p.momentum == ip.analog_momentum,
            "analog-momentum {} and momentum {} name the same setting in situ: give one",
            ip.analog_momentum, p.momentum);
    p.momentum = ip.analog_momentum;
    config["momentum"] = config["analog-momentum"];
  } else {
    default_unless_given(app, config, "momentum", p.momentum, d.momentum);
    ip.analog_momentum = p.momentum;
    config["analog-momentum"] = config["momentum"];
  }
  default_unless_given(app, config, "weight-cost", p.weight_cost, d.weight_cost);
  if (p.momentum == 0) default_unless_given(app, config, "lr", p.lr, d.lr);
  default_unless_given(app, config, "init-scale", p.init_scale, d.init_scale);
}

UpdateRuleParams insitu_rule(const FFParams& p, const InSituParams& ip) {
  p.validate();
  ip.validate();
  require(ip.in_situ(), "FF in situ needs a device preset, got 'digital'");
  require(p.schedule == "pipelined", "in situ every layer learns on every batch: schedule must be pipelined, got '{}'",
          p.schedule);
  require(p.negatives == "random" || p.negatives == "hybrid",
          "in situ the negatives must be random or hybrid, got '{}': hard negatives need a digitised read-out on the "
          "learning path",
          p.negatives);
  require(p.unsupervised() || p.predict == "goodness",
          "in situ supervised FF predicts by goodness (its read-out needs no ADC per unit), got predict '{}'",
          p.predict);
  require(p.compare_readout_layers.empty(),
          "compare-readout-layers {}: in situ there is one softmax read-out (--readout-layers)",
          fmt::join(p.compare_readout_layers, ","));
  require(p.norm == "rms" && p.input_norm == "rms", "in situ the length normaliser gives unit mean square: norm rms");
  require(p.optimiser == "sgd", "in situ the update is pulsed SGD (with analog momentum if --momentum > 0), got '{}'",
          p.optimiser);
  require(p.weight_cost == 0,
          "in situ the weight cost must be 0 (decaying every weight means reading and rewriting the array), got {}",
          p.weight_cost);
  const UpdateRuleParams rule = choose_update_rule(p, ip.momentum, ip.carry, ip.mixed_precision);
  validate(rule);
  require(ip.second_device.empty() || p.momentum > 0 || ip.carry.on(),
          "second-device '{}' names the device of the momentum or fine arrays: it needs --momentum > 0 or --carry",
          ip.second_device);
  require(!ip.momentum.share() || p.momentum > 0, "momentum-decay share needs analog momentum (--momentum > 0)");
  return rule;
}

hw::ChipParams insitu_chip(const FFParams& p, const InSituParams& ip, const UpdateRuleParams& rule, const Dataset& train,
                           hw::EnergyParams& energy, const Perturbation* perturbation) {
  std::vector<int> sizes = {train.features()};
  for (int u : p.layers) sizes.push_back(u);
  hw::ChipParams cp = hw::chip_preset(ip.device, sizes);
  if (!ip.second_device.empty()) cp.set_second_device(ip.second_device);
  if (perturbation != nullptr) perturb(cp, *perturbation);
  cp.damping_stage = p.recurrent > 0;  // the recurrent net's damped state (sim/recurrent_insitu.h)
  apply_hw_overrides(cp, energy, ip.hw_overrides());
  cp.bias_row = true;
  cp.extra_arrays = extra_arrays(rule);
  // Local receptive fields: a pair of devices only where a unit sees an input (the bias row in every field).
  const std::vector<std::vector<FieldBlock>> fields = ff_field_blocks(p, train.features());
  for (std::size_t k = 0; k < fields.size(); ++k) {
    if (fields[k].empty()) continue;
    cp.connectivity.resize(fields.size());
    cp.connectivity[k] = connectivity_mask(fields[k], sizes[k + 1], sizes[k] + 1);
  }
  double input_range = ip.input_range;
  if (input_range <= 0) {
    // The largest value the first layer is driven with: a normalised image with a label written in (the
    // recurrent net: without, its label clamped above), or
    // (unsupervised) an image as it is and a hybrid of it, whose smaller ink normalises to larger pixels.
    const int n = std::min(train.size(), 10000);
    Mat x(p.unsupervised() ? 2 * n : n, train.features());
    if (p.unsupervised()) {
      x.topRows(n) = train.images.topRows(n);
      std::vector<int> first(static_cast<std::size_t>(n));
      for (int i = 0; i < n; ++i) first[std::size_t(i)] = i;
      HybridMasks masks(hybrid_mask_params(p, train.features()));
      Rng rng = make_rng(0, "insitu.input_range");
      hybrid_negatives(x.bottomRows(n), train.images, first, masks, rng);
    } else if (p.recurrent > 0) {
      x = train.images.topRows(n);  // the label is clamped above the net, not written into the image
    } else {
      overlay_label(x, train.images.topRows(n), 0, p.label_coding());
    }
    normalise_rows(x, x, parse_norm(p.input_norm), p.layer_params().norm_eps);
    input_range = double(x.maxCoeff());
  }
  for (std::size_t k = 0; k < p.layers.size(); ++k)
    cp.scales.push_back({ip.w_scale, k == 0 ? input_range : ip.hidden_range, ip.output_range});
  return cp;
}

namespace {

const std::string kRivalLabel = "rival BP epoch";

// The run's phases in order, so that every progress line's ETA is to the end of the run. After training
// everything is evaluations, estimated from the learning curve's test evaluations, in images read:
// - supervised, by goodness: the curve's evaluation reads the test set; the final one the test set and the
//   training-evaluation set;
// - unsupervised, by the softmax read-out: the curve's evaluation reads the training-evaluation set (its
//   read-out's features) and the test set; the final one every training image, then both sets;
// the rival reads the test set in one pass per image where goodness makes one per label; each drift time
// reads the test set plain and compensated (a chip whose drift cannot be compensated takes half that). The
// digital rival's own evaluations, the read-outs' digital fitting and the drift calibration are not counted.
RunEta run_phases(const InSituParams& ip, const EpochPlan& plan, bool unsupervised, int classes, int train, int test,
                  int train_eval) {
  const bool with_rival = ip.rival == "bp";
  RunEta eta;
  if (with_rival) eta.add(kRivalLabel, ip.rival_epochs);
  add_epoch_phases(eta, plan);
  // What one pass over the test set is, in curve evaluations; a pass per image is 1 / classes of goodness's.
  const double test_pass = unsupervised ? double(test) / (test + train_eval) : 1.0;
  const double per_image = unsupervised ? test_pass / test : 1.0 / (double(test) * classes);
  const double rival_eval = with_rival ? double(test) * per_image : 0;
  eta.add("final evaluation", 1, kTestEvaluation,
          unsupervised ? double(train + train_eval + test) * per_image : 1 + double(train_eval) / test);
  if (with_rival) eta.add("rival on the chip", 1, kTestEvaluation, rival_eval);
  eta.add("drift", int(ip.drift_times.size()), kTestEvaluation, 2 * (test_pass + rival_eval));
  return eta;
}

// The chip's whole state at an epoch end, with the run's record: what a resume restores.
void save_run(const std::string& path, const nlohmann::json& record, const hw::Chip& chip, const hw::Ledger& ledger,
              const hw::Ledger& curve_energy, const InSituFF& t) {
  Checkpoint c;
  c.put_json("run", record);
  chip.save(c, "chip");
  c.put_json("ledger", ledger.to_json());
  c.put_json("ledger_curve_evaluation", curve_energy.to_json());
  t.save(c);
  c.save(path);
}

void restore_run(const Checkpoint& c, hw::Chip& chip, hw::Ledger& ledger, hw::Ledger& curve_energy, InSituFF& t) {
  chip.restore(c, "chip");
  ledger.restore(c.get_json("ledger"));
  curve_energy.restore(c.get_json("ledger_curve_evaluation"));
  t.restore(c);
}

// Every layer's arrays as the chip builds them: its cross-points, the pairs of devices on them (fewer where
// local receptive fields leave cross-points empty), its physical tiles and those built (holding a pair), and
// the arrays of that shape it has (the weights' copies and the rule's extra arrays). Masked layers are told
// on the log.
nlohmann::json chip_layout(hw::Chip& chip) {
  nlohmann::json layout = nlohmann::json::array();
  for (int k = 0; k < chip.layers(); ++k) {
    const hw::Crossbar& c = chip.weights(k);
    const long long cross_points = static_cast<long long>(c.inputs()) * c.outputs();
    const int arrays = chip.weight_copies() + chip.extra_arrays();
    layout.push_back({{"layer", k},
                      {"inputs", c.inputs()},
                      {"outputs", c.outputs()},
                      {"cross_points", cross_points},
                      {"device_pairs", c.pairs()},
                      {"tiles", c.row_tiles() * c.col_tiles()},
                      {"tiles_built", c.tiles_built()},
                      {"arrays", arrays}});
    if (c.masked()) {
      const int tiles = c.row_tiles() * c.col_tiles(), left_out = tiles - c.tiles_built();
      fmt::print(stderr,
                 "layer {}: {} pairs of devices on {} x {} cross-points ({:.1f}%; the rest hold none); tiles of {} x {} "
                 "built: {} ({}); arrays of that shape: {}\n",
                 k, c.pairs(), c.outputs(), c.inputs(), 100.0 * double(c.pairs()) / double(cross_points),
                 c.params().max_rows, c.params().max_cols, c.tiles_built(),
                 left_out > 0 ? fmt::format("{} of the {} hold no pair and are not built", left_out, tiles)
                              : std::string("every one holds pairs"),
                 arrays);
    }
  }
  return layout;
}

}  // namespace

nlohmann::json run_insitu_ff(const FFParams& p, const InSituParams& ip, const Checkpointing& ck, std::uint64_t seed,
                             const std::string& out, const FFCurveCallback& on_epoch) {
  if (p.recurrent > 0) return run_recurrent_insitu(p, ip, ck, seed, on_epoch);
  const UpdateRuleParams rule = insitu_rule(p, ip);
  require_resumable(ck);
  Stopwatch total;
  const RunData data = load_ff_data(p, seed);
  // The evaluation sets, cut to their limits once (they are evaluated a dozen times; the test set was as it loaded).
  const Dataset& test = data.test;
  const Dataset train_eval =
      p.train_eval_limit > 0 && p.train_eval_limit < data.train.size() ? data.train.head(p.train_eval_limit) : data.train;
  const double load_s = total.seconds();
  const std::string stem = results_stem(out);
  const std::string& ckpt_path = ck.path;
  require(!ckpt_path.empty(), "an in-situ run needs a checkpoint path");

  const int n = data.train.size();
  const EpochPlan plan{p.epochs, (n + p.batch - 1) / p.batch, p.eval_every, "FF epoch"};
  const bool with_rival = ip.rival == "bp";
  RunEta eta = run_phases(ip, plan, p.unsupervised(), data.train.num_classes, n, test.size(), train_eval.size());

  // The rival first: its ranges size the rival chip, which must exist before the kernel starts.
  std::unique_ptr<BpMlp> bp_net;
  nlohmann::json rival = with_rival ? train_rival(p, ip.rival_epochs, seed, kRivalLabel, &eta, bp_net) : nlohmann::json();

  // The chips: FF trains on one; the rival is programmed onto another of the same seed (the same
  // individual: every layer's devices are drawn from the seed and the layer's name).
  hw::EnergyParams energy;
  const hw::ChipParams cp = insitu_chip(p, ip, rule, data.train, energy);
  hw::Ledger ledger(energy);
  hw::Chip chip("ff", cp, ledger, seed);
  std::unique_ptr<hw::Chip> rival_chip;
  if (bp_net) rival_chip = std::make_unique<hw::Chip>("rival", rival_chip_params(cp, *bp_net, data.train), ledger, seed);
  std::unique_ptr<FFSupervision> supervision;
  if (p.unsupervised())
    supervision = std::make_unique<HybridSupervision>(data.train.images, data.train.num_classes,
                                                      hybrid_mask_params(p, data.train.features()));
  else
    supervision = std::make_unique<LabelSupervision>(data.train);
  InSituFF t(chip, p, *supervision, seed, ip.fifo_depth, rule);
  const nlohmann::json layout = chip_layout(chip);
  // The softmax read-out of the learning curve's evaluations learns from the training-evaluation images.
  const Dataset* curve_readout = p.unsupervised() ? &train_eval : nullptr;

  EpochState state;
  hw::Ledger curve_energy(energy);  // of the learning curve's evaluations, kept out of training's
  double prior_train_wall = 0;
  if (ck.resume) {
    const Checkpoint& c = ck.checkpoint();  // its settings checked above (require_resumable)
    const ResumePoint at = read_resume_point(ck, p.epochs, plan.steps_per_epoch);
    prior_train_wall = resume_seconds(at, ck, "train_wall_s");
    restoring(ck, [&] { restore_run(c, chip, ledger, curve_energy, t); });
    state = resumed_state(at);
    ck.release();  // restored: the loaded checkpoint is not needed again
    fmt::print(stderr, "resumed from {} after epoch {} ({:.6g} s simulated)\n", ckpt_path, state.epoch, chip.now_s());
  } else {
    t.program_initial();
  }

  std::unique_ptr<VcdTrace> trace;
  if (ip.trace.on()) {
    trace = std::make_unique<VcdTrace>(ip.trace.path);
    t.trace(trace->file(), ip.trace.steps);
  }
  Stopwatch train_clock;
  const auto at_end = [&](const EpochState& at) {
    if (on_epoch) on_epoch(at.curve);
    // Checkpoint at the epoch end: a killed run resumes here.
    nlohmann::json record = epoch_record(ck, at);
    record["train_wall_s"] = prior_train_wall + train_clock.seconds();
    save_run(ckpt_path, record, chip, ledger, curve_energy, t);
    return !(ck.stop_after > 0 && at.epoch == ck.stop_after);
  };
  const bool finished = run_epochs(t, ledger, curve_energy, test, curve_readout, plan, state, at_end, &eta);
  if (trace) trace->close();
  if (!finished) {
    fmt::print(stderr, "stopped after epoch {}; checkpoint {}\n", state.epoch, ckpt_path);
    return stopped_metrics(state.epoch, ckpt_path, state.curve);
  }
  const nlohmann::json& curve = state.curve;
  const std::vector<double>& epoch_seconds = state.epoch_seconds;
  const double eval_s = state.eval_s;
  // With periodic carry the fine arrays' last content goes into the weights: inference reads them alone.
  t.finish_training();
  const double train_wall = prior_train_wall + train_clock.seconds() - eval_s;
  const nlohmann::json energy_training = ledger.minus(curve_energy).to_json();
  const double sim_train_s = t.simulated_training_s();

  // Right after training: the softmax read-out learns from every training image's features, as the chip
  // gives them now, and predicts from then on (after idling too).
  Stopwatch final_clock;
  nlohmann::json readout_curve = nlohmann::json::array();
  if (p.unsupervised()) t.fit_readout(data.train, readout_curve, true);
  const double test_error = t.error(test);
  const double train_error = t.error(train_eval);
  const double final_eval_s = final_clock.seconds();
  eta.finished("final evaluation", final_eval_s);
  fmt::print(stderr, "final test error {:.2f}% | train {:.2f}%\n", 100 * test_error, 100 * train_error);

  // The rival, programmed now onto its chip.
  std::unique_ptr<RivalOnChip> bp_chip;
  if (rival_chip) {
    bp_chip = std::make_unique<RivalOnChip>(*rival_chip, seed);
    bp_chip->program(*bp_net);
    Stopwatch rival_clock;
    rival["on_chip_test_error"] = bp_chip->error(test);
    eta.finished("rival on the chip", rival_clock.seconds());
    fmt::print(stderr, "rival BP on the chip: test error {:.2f}% (digital {:.2f}%)\n",
               100 * rival["on_chip_test_error"].get<double>(), 100 * rival["digital_test_error"].get<double>());
  }

  // Drift: the chips idle and are read again, with and without the compensation calibrated now.
  Stopwatch drift_clock;
  const DriftEvaluation drift =
      evaluate_drift(t, chip, bp_chip.get(), rival_chip.get(), test, ip.drift_times, ip.plot_stem(out),
                     fmt::format("Test error after idling: {} chip, seed {}", ip.device, seed), eta);
  const double drift_s = drift_clock.seconds();

  const auto mean = [](const auto& xs, const auto& value) {
    double sum = 0;
    for (const auto& x : xs) sum += value(x);
    return sum / double(xs.size());
  };
  const double mean_epoch = mean(epoch_seconds, [](double s) { return s; });
  const double latency = mean(curve, [](const nlohmann::json& e) { return e["latency_s"].get<double>(); });
  nlohmann::json m = {{"status", "finished"},
          {"device", ip.device},
          {"hardware", hw_to_json(cp, energy)},
          {"layout", layout},
          {"train_examples", n},
          {"test_examples", test.size()},
          {"prediction", t.prediction()},
          {"readout_layers", t.chosen()},
          {"test_error", test_error},
          {"train_error", train_error},
          {"curve", curve},
          {"readout_curve", readout_curve},
          {"readout", t.readout_record()},
          {"epoch_seconds", epoch_seconds},
          {"mean_epoch_seconds", mean_epoch},
          {"simulated_training_s", sim_train_s},
          {"images_per_simulated_s", double(n) * p.epochs / sim_train_s},
          {"pipeline", {{"stages", chip.layers()}, {"fifo_depth", ip.fifo_depth}, {"mean_batch_latency_s", latency}}},
          {"energy_training", energy_training},
          {"energy_training_pj_per_image", energy_training["total_energy_pj"].get<double>() / (double(n) * p.epochs)},
          {"energy_total", ledger.to_json()},
          {"drift", drift.rows},
          {"drift_plot", drift.plot},
          {"drift_plot_error", drift.plot_error},
          {"drift_compensation", drift.compensation},
          {"rival", rival},
          {"timing_s",
           {{"load", load_s},
            {"train", train_wall},
            {"curve_evaluation", eval_s},
            {"final_evaluation", final_eval_s},
            {"drift_evaluation", drift_s},
            {"earlier_processes", prior_train_wall},
            {"cpu_total", cpu_seconds()}}}};  // this process's CPU time
  set_wall_time(m["timing_s"], total.seconds());
  return m;
}

}  // namespace mortal
