#include "sim/ff_experiment.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>

#include <sys/resource.h>

#include "core/checkpoint.h"
#include "core/error.h"
#include "core/rng.h"
#include "model/hybrid_images.h"
#include "model/softmax.h"
#include "sim/cli.h"
#include "sim/epoch_runner.h"
#include "sim/progress.h"
#include "sim/recurrent_experiment.h"
#include "sim/results.h"
#include "sim/resume.h"

namespace mortal {

void FFParams::add_options(CLI::App& app) {
  data_dir = default_data_dir();
  const std::string data = "Data", network = "Network", ff = "FF", optimiser_group = "Optimiser";
  app.add_option("--data", data_dir, "Folder with the MNIST IDX files")->group(data);
  app.add_flag("--standardise", standardise, "Pixels -> (p - 0.1307) / 0.3081 (the pytorch/examples input)")->group(data);
  app.add_option("--validation", validation, "Training images held out (not learned from)")->group(data);
  add_validation_seed_option(app, validation_seed, data);
  app.add_option("--train-limit", train_limit, "Use only this many training images (0: all)")->group(data);
  app.add_option("--test-limit", test_limit, "Evaluate on this many test images (0: all)")->group(data);
  app.add_option("--train-eval-limit", train_eval_limit, "Training images the train error is measured on (0: all)")
      ->group(data);
  list_option(app.add_option("--layers", layers, "Hidden layer sizes, e.g. 1000,1000,1000")->group(network));
  list_option(app.add_option("--receptive-fields", receptive_fields,
                             "Per layer, local receptive fields without weight sharing, WINDOW/STRIDE over the grid "
                             "below (the image's pixels, or the locations of the layer under it, all their "
                             "channels), or dense; a layer's width is its grid's locations times its channels. "
                             "The paper's: --layers 2048,1980,2048 --receptive-fields 10/6,2/1,2/1 (4x4 x 128, "
                             "3x3 x 220, 2x2 x 512). Digital runs")
                  ->group(network));
  app.add_option("--init-scale", init_scale, "Initial weights uniform in +-scale/sqrt(fan-in)")->group(network);
  app.add_option("--norm", norm, "Activity normalisation before passing on: rms or l2")->group(network);
  app.add_option("--input-norm", input_norm, "Input normalisation: rms or l2")->group(network);
  app.add_option("--schedule", schedule, "pipelined (every layer learns on every batch) or greedy (layer by layer)")
      ->group(ff);
  app.add_option("--goodness", goodness, "sum or mean of squared activities")->group(ff);
  app.add_flag("--min-ssq", min_ssq, "Positive data should have LOW sum of squares")->group(ff);
  app.add_option("--theta", theta, "Goodness threshold (<= 0: units for sum, 1 for mean)")->group(ff);
  app.add_option("--temperature", temperature, "p = sigmoid((G - theta) / temperature)")->group(ff);
  app.add_option("--peer", peer, "Peer-normalisation strength (0: off)")->group(ff);
  app.add_option("--negatives", negatives,
                 "random (a uniform wrong label), hard (a wrong label sampled from the read-out), or hybrid: "
                 "unsupervised FF, no label on any input, negatives two training images mixed by a blurred random "
                 "mask (paper section 3.2), prediction by the softmax read-out")
      ->group(ff);
  app.add_option("--mask-passes", mask_passes,
                 "Hybrid negatives: blurring passes of the mask, each [1/4, 1/2, 1/4] across and down")
      ->group(ff);
  app.add_flag("--fixed-negatives", fixed_negatives, "Draw the negative labels once, not every epoch")->group(ff);
  app.add_option("--pair-negatives", pair_negatives,
                 "Digital: the first layer's products run on the positives only; a negative, the same image under "
                 "another label, adds the label difference (the same step to float rounding, about half the first "
                 "layer's FLOPs; false: every row through the products, as the hardware runs them)")
      ->group(ff);
  app.add_option("--predict", predict, "goodness, softmax or both")->group(ff);
  list_option(app.add_option("--readout-layers", readout_layers,
                              "Layers (0-based) both predictions read; default all but the first (hybrid: the last "
                              "three, or all of a shallower net)")
                  ->group(ff));
  list_option(app.add_option("--compare-readout-layers", compare_readout_layers,
                             "A second softmax read-out on these layers, trained and reported beside the first "
                             "(e.g. 0,1,2,3: the first hidden layer added)")
                  ->group(ff));
  app.add_option("--recurrent", recurrent,
                 "The recurrent net of the paper's top-down effects (its section 3.4): the label clamped above "
                 "the last layer, each layer from the normalised layers below and above; this many synchronous "
                 "iterations per batch, each a step of FF (0: the feed-forward net). Digital, pipelined, "
                 "prediction by goodness")
      ->group(ff);
  app.add_option("--damping", damping, "Recurrent: the share of a layer's old state kept at each iteration")
      ->group(ff);
  list_option(app.add_option("--score-iterations", score_iterations,
                             "Recurrent: FIRST,LAST, the iterations whose goodness, summed over the layers and "
                             "averaged, picks the label")
                  ->group(ff));
  app.add_option("--label-value", label_value, "Value written at the label pixel")->group(ff);
  app.add_option("--neutral-value", neutral_value, "Value of every label pixel of the neutral input")->group(ff);
  app.add_option("--readout-lr", readout_lr, "SGD learning rate of the linear softmax read-out")->group(ff);
  app.add_option("--readout-weight-cost", readout_weight_cost,
                 "Weight cost (L2 pull to zero) of the linear softmax read-out")
      ->group(ff);
  app.add_option("--readout-epochs", readout_epochs,
                 "Read-out passes on the frozen net after the layers (greedy schedule, unsupervised FF, and "
                 "--layers-from)")
      ->group(ff);
  app.add_option("--layers-from", layers_from,
                 "Checkpoint of a digital run of the same net (its --checkpoint): its layers are taken as they "
                 "are, frozen, and only the softmax read-outs learn, afresh, for --readout-epochs passes (e.g. "
                 "read-out settings chosen on --validation without training the net again)")
      ->group(ff);
  app.add_option("--epochs", epochs, "Passes over the training set (greedy: per layer)")->group(optimiser_group);
  app.add_option("--batch", batch, "Positive images per step (plus as many negatives)")->group(optimiser_group);
  app.add_option("--optimiser", optimiser, "sgd (momentum + weight cost) or adam")->group(optimiser_group);
  app.add_option("--lr", lr, "Learning rate of the FF layers")->group(optimiser_group);
  app.add_option("--momentum", momentum, "SGD gradient moving average (in situ: the same as --analog-momentum)")
      ->group(optimiser_group);
  app.add_option("--momentum-final", momentum_final,
                 "SGD momentum reached as the learning rate decays to zero: at rate lr, final - (final - momentum) "
                 "lr / lr0 (default: constant momentum)")
      ->group(optimiser_group);
  app.add_option("--weight-cost", weight_cost, "Weight cost (L2 pull to zero)")->group(optimiser_group);
  app.add_option("--lr-schedule", lr_schedule,
                 "constant, or halfdecay (constant, then linear to 0 over the second half, or from --decay-from)")
      ->group(optimiser_group);
  app.add_option("--decay-from", decay_from,
                 "halfdecay: fraction of the run after which the rate falls linearly to 0 (0.5: the second half)")
      ->group(optimiser_group);
  app.add_option("--eval-every", eval_every, "Test error on the learning curve every this many epochs")->group(data);
}

void FFParams::validate() const {
  require(!layers.empty(), "layers must name at least one layer");
  for (int u : layers) require(u >= 1, "layer sizes must be positive, got {}", u);
  if (!receptive_fields.empty()) {
    require(receptive_fields.size() == layers.size(), "receptive-fields names {} layers ({}), layers {} ({})",
            receptive_fields.size(), fmt::join(receptive_fields, ","), layers.size(), fmt::join(layers, ","));
    bool dense_below = false;
    for (std::size_t l = 0; l < layers.size(); ++l) {
      const FieldGeometry g = field_geometry(static_cast<int>(l));
      require(!(g.local() && dense_below),
              "receptive-fields: layer {} has fields {} over a dense layer, which has no grid of locations", l,
              g.text());
      dense_below = dense_below || !g.local();
    }
  }
  require(epochs >= 1, "epochs must be at least 1, got {}", epochs);
  require(batch >= 1, "batch must be at least 1, got {}", batch);
  require(schedule == "pipelined" || schedule == "greedy", "schedule must be pipelined or greedy, got '{}'", schedule);
  require(lr_schedule == "constant" || lr_schedule == "halfdecay", "lr-schedule must be constant or halfdecay, got '{}'",
          lr_schedule);
  require(decay_from >= 0 && decay_from < 1, "decay-from must be in [0, 1), got {}", decay_from);
  check_positive("lr", lr);
  check_positive("init-scale", init_scale);
  check_positive("readout-lr", readout_lr);
  require(predict == "goodness" || predict == "softmax" || predict == "both",
          "predict must be goodness, softmax or both, got '{}'", predict);
  parse_negative(negatives);
  for (const auto* chosen : {&readout_layers, &compare_readout_layers})
    for (int l : *chosen)
      require(l >= 0 && l < static_cast<int>(layers.size()), "readout layer {} outside 0..{}", l, layers.size() - 1);
  require(compare_readout_layers.empty() || predict != "goodness",
          "compare-readout-layers {} is a second softmax read-out: it needs predict softmax or both, got '{}'",
          fmt::join(compare_readout_layers, ","), predict);
  if (unsupervised()) {
    // Unsupervised FF: no label enters the net, so nothing that writes, reads or varies a label applies.
    require(predict == "softmax",
            "predict '{}' scores label overlays by goodness: with negatives hybrid no label enters the net, and "
            "the prediction is the softmax read-out (predict softmax)",
            predict);
    require(!fixed_negatives,
            "fixed-negatives draws each image's wrong label once: with negatives hybrid the hybrids are drawn "
            "afresh every epoch");
    require(!pair_negatives,
            "pair-negatives true needs a negative that differs from its positive in the label pixels only: a "
            "hybrid differs in every pixel");
    const FFParams defaults;
    require(label_value == defaults.label_value,
            "label-value {}: with negatives hybrid no label is overlaid on any input", label_value);
    require(neutral_value == defaults.neutral_value,
            "neutral-value {}: with negatives hybrid no label pixel is written on any input", neutral_value);
    HybridMaskParams mask;
    mask.passes = mask_passes;
    mask.validate();
  } else {
    const FFParams defaults;
    require(mask_passes == defaults.mask_passes, "mask-passes {} shapes hybrid negatives: it needs negatives hybrid, got '{}'",
            mask_passes, negatives);
  }
  require(recurrent >= 0, "recurrent must be >= 0 (0: the feed-forward net), got {}", recurrent);
  if (recurrent > 0) {
    require(score_iterations.size() == 2, "score-iterations must be FIRST,LAST, got {} values",
            score_iterations.size());
    recurrent_params().validate();
    require(schedule == "pipelined",
            "recurrent: every layer learns at every iteration; schedule greedy does not apply");
    require(!unsupervised(), "recurrent: the label is clamped above the last layer; negatives hybrid has none");
    require(predict == "goodness",
            "recurrent: the label is the one of the highest goodness (predict goodness), got '{}'", predict);
    require(receptive_fields.empty(), "recurrent: receptive-fields {} are for the feed-forward net",
            fmt::join(receptive_fields, ","));
    require(!pair_negatives && !fixed_negatives,
            "recurrent: the label is clamped above the net, not written into the image: pair-negatives and "
            "fixed-negatives do not apply");
  } else {
    const FFParams defaults;
    require(damping == defaults.damping && score_iterations == defaults.score_iterations,
            "damping and score-iterations shape the recurrent net: they need --recurrent N");
  }
  require(readout_epochs >= 0, "readout-epochs must be >= 0, got {}", readout_epochs);
  check_nonnegative("readout-weight-cost", readout_weight_cost);
  if (!layers_from.empty()) {
    require(predict == "softmax",
            "layers-from {}: only the softmax read-out learns on the layers taken, so predict must be softmax, "
            "got '{}'", layers_from, predict);
    require(readout_epochs >= 1, "layers-from {}: the read-out learns for readout-epochs passes, got {}", layers_from,
            readout_epochs);
    require(recurrent == 0, "layers-from {}: the recurrent net predicts by goodness and has no read-out to fit",
            layers_from);
  }
  require(validation >= 0 && train_limit >= 0 && test_limit >= 0 && train_eval_limit >= 0,
          "validation and limits must be >= 0");
  require(eval_every >= 1, "eval-every must be at least 1, got {}", eval_every);
  optimiser_params().validate();
  layer_params().validate();
}

FFLayerParams FFParams::layer_params() const {
  FFLayerParams lp;
  lp.objective.kind = parse_goodness(goodness);
  lp.objective.min_ssq = min_ssq;
  lp.objective.theta = theta;
  lp.objective.temperature = temperature;
  lp.norm = parse_norm(norm);
  lp.peer_lambda = peer;
  return lp;
}

OptimiserParams FFParams::optimiser_params() const {
  OptimiserParams op;
  op.kind = parse_optimiser(optimiser);
  op.momentum = op.kind == OptimiserKind::sgd ? momentum : 0.0f;
  if (momentum_final >= 0) {
    op.momentum_final = momentum_final;
    op.base_lr = lr;
  }
  op.weight_cost = weight_cost;
  return op;
}

SoftmaxParams FFParams::readout_params() const { return SoftmaxParams{readout_lr, 0.9f, readout_weight_cost}; }

std::vector<int> FFParams::default_readout_layers() const {
  const int n = static_cast<int>(layers.size());
  if (!unsupervised()) return mortal::default_readout_layers(n);
  std::vector<int> out;
  for (int l = std::max(0, n - 3); l < n; ++l) out.push_back(l);
  return out;
}

std::vector<int> FFParams::chosen_readout_layers() const {
  return readout_layers.empty() ? default_readout_layers() : readout_layers;
}

void apply_mode_defaults(const CLI::App& app, FFParams& p, nlohmann::json& config) {
  if (p.unsupervised()) default_unless_given(app, config, "predict", p.predict, std::string("softmax"));
  if (p.recurrent > 0) default_unless_given(app, config, "predict", p.predict, std::string("goodness"));
}

RecurrentParams FFParams::recurrent_params() const {
  RecurrentParams r;
  r.iterations = recurrent;
  r.damping = damping;
  r.score_first = score_iterations.empty() ? 0 : score_iterations.front();
  r.score_last = score_iterations.empty() ? 0 : score_iterations.back();
  return r;
}

LabelCoding FFParams::label_coding() const {
  LabelCoding c;
  c.value = label_value;
  c.neutral = neutral_value;
  return c;
}

std::vector<std::vector<FieldBlock>> ff_field_blocks(const FFParams& p, int features) {
  std::vector<std::vector<FieldBlock>> layers;
  int in = features;
  // The image as a grid of pixels, when it is square.
  const int side = static_cast<int>(std::lround(std::sqrt(static_cast<double>(features))));
  SpatialShape below = side * side == features ? SpatialShape{side, 1} : SpatialShape{0, features};
  for (std::size_t l = 0; l < p.layers.size(); ++l) {
    const FieldGeometry g = p.field_geometry(static_cast<int>(l));
    layers.emplace_back();
    if (g.local()) {
      try {
        require(l > 0 || below.side > 0, "the {} input features are not a square image", features);
        layers.back() = field_blocks(below, g, p.layers[l], in);
      } catch (const Error& e) {
        throw Error(fmt::format("receptive-fields, layer {}: {}", l, e.what()));
      }
    }
    below = field_shape(below, g, p.layers[l]);
    in = p.layers[l];
  }
  return layers;
}

std::vector<std::unique_ptr<SynapticArray>> make_ff_arrays(const FFParams& p, int features, std::uint64_t seed) {
  std::vector<std::unique_ptr<SynapticArray>> arrays;
  std::vector<std::vector<FieldBlock>> fields = ff_field_blocks(p, features);
  int in = features;
  for (std::size_t l = 0; l < p.layers.size(); ++l) {
    Rng rng = make_rng(seed, "ff.init", l);
    if (fields[l].empty()) {
      auto a = std::make_unique<DigitalArray>(p.layers[l], in + 1, p.optimiser_params());
      a->init_uniform(rng, p.init_scale);
      arrays.push_back(std::move(a));
    } else {
      // One dense array per location, over the inputs its window gathers and the bias, initialised by its
      // own fan-in.
      std::vector<std::unique_ptr<SynapticArray>> parts;
      for (const FieldBlock& b : fields[l]) {
        auto a = std::make_unique<DigitalArray>(b.units, static_cast<int>(b.inputs.size()), p.optimiser_params());
        a->init_uniform(rng, p.init_scale);
        parts.push_back(std::move(a));
      }
      arrays.push_back(std::make_unique<LocalArray>(p.layers[l], in + 1, std::move(fields[l]), std::move(parts)));
    }
    in = p.layers[l];
  }
  return arrays;
}

FieldGeometry FFParams::field_geometry(int l) const {
  return receptive_fields.empty() ? FieldGeometry{}
                                  : FieldGeometry::parse(receptive_fields[static_cast<std::size_t>(l)]);
}

float FFParams::lr_factor_at(double fraction) const { return lr_factor(lr_schedule, fraction, decay_from); }

float lr_factor(const std::string& schedule, double fraction, double decay_from) {
  if (schedule != "halfdecay" || fraction < decay_from) return 1.0f;
  return static_cast<float>(std::max(0.0, (1 - fraction) / (1 - decay_from)));
}

nlohmann::json layer_stats_json(const std::vector<FFStepStats>& sum, int steps) {
  nlohmann::json a = nlohmann::json::array();
  for (const FFStepStats& s : sum)
    a.push_back({{"loss", s.loss / steps}, {"goodness_pos", s.goodness_pos / steps}, {"goodness_neg", s.goodness_neg / steps}});
  return a;
}

void accumulate(std::vector<FFStepStats>& sum, const std::vector<FFStepStats>& s) {
  sum.resize(s.size());
  for (std::size_t l = 0; l < s.size(); ++l) {
    sum[l].loss += s[l].loss;
    sum[l].goodness_pos += s[l].goodness_pos;
    sum[l].goodness_neg += s[l].goodness_neg;
  }
}

void fit_readouts(const FFParams& p, std::uint64_t seed, const std::vector<int>& labels,
                  const std::vector<ReadoutFit>& fits, nlohmann::json& curve, bool log) {
  require(!fits.empty(), "fit_readouts: no read-out to fit");
  const int n = static_cast<int>(labels.size());
  for (const ReadoutFit& fit : fits)
    require(fit.features.rows() == n, "fit_readouts: {} feature rows for {} labels", fit.features.rows(), n);
  std::vector<Mat> batch(fits.size());
  std::vector<int> yb;
  Progress progress("readout epoch", p.readout_epochs);
  for (int epoch = 1; epoch <= p.readout_epochs; ++epoch) {
    const std::vector<int> order = shuffled_indices(n, stream_seed(seed, "ff.readout.order", epoch));
    const float lr = p.readout_lr * p.lr_factor_at(static_cast<float>(epoch - 1) / static_cast<float>(p.readout_epochs));
    double loss = 0;
    int steps = 0;
    for (int start = 0; start < n; start += p.batch) {
      const int b = std::min(p.batch, n - start);
      yb.resize(static_cast<std::size_t>(b));
      for (int i = 0; i < b; ++i)
        yb[static_cast<std::size_t>(i)] = labels[static_cast<std::size_t>(order[static_cast<std::size_t>(start + i)])];
      for (std::size_t j = 0; j < fits.size(); ++j) {
        batch[j].resize(b, fits[j].features.cols());
        for (int i = 0; i < b; ++i) batch[j].row(i) = fits[j].features.row(order[static_cast<std::size_t>(start + i)]);
        const float l = fits[j].classifier.train_step(batch[j], yb, lr);
        if (j == 0) loss += l;
      }
      ++steps;
    }
    curve.push_back({{"readout_epoch", epoch}, {"readout_loss", loss / steps}});
    if (log) progress.report(epoch, fmt::format("read-out loss {:.4f}", loss / steps));
  }
  if (log) progress.finish();
}

std::string errors_text(const nlohmann::json& test, const nlohmann::json& train, const nlohmann::json& validation) {
  std::string s;
  for (const auto& [k, v] : test.items()) {
    s += fmt::format(" | test error {} {:.2f}%", k, 100 * v.get<double>());
    std::vector<std::string> beside;
    for (const auto& [name, errors] : {std::pair{"train", &train}, std::pair{"validation", &validation}})
      if (errors->is_object() && errors->contains(k))
        beside.push_back(fmt::format("{} {:.2f}%", name, 100 * (*errors)[k].get<double>()));
    if (!beside.empty()) s += fmt::format(" ({})", fmt::join(beside, ", "));
  }
  return s;
}

std::string curve_errors_text(const nlohmann::json& entry) {
  if (!entry.contains("test_error")) return "";
  return errors_text(entry["test_error"], entry.value("train_error", nlohmann::json()),
                     entry.value("validation_error", nlohmann::json()));
}

void add_validation(nlohmann::json& metrics, int examples, const nlohmann::json& errors,
                    const std::string& prediction) {
  metrics["validation_examples"] = examples;
  metrics["validation_errors"] = errors;
  metrics["selected_by_validation"] = select_by_validation(metrics.at("curve"), prediction);
}

HybridMaskParams hybrid_mask_params(const FFParams& p, int features) {
  HybridMaskParams m;
  m.width = static_cast<int>(std::lround(std::sqrt(static_cast<double>(features))));
  m.height = m.width;
  require(m.width * m.height == features, "negatives hybrid mixes square images: {} pixels are not a square",
          features);
  m.passes = p.mask_passes;
  return m;
}

namespace {

// Everything a run keeps between steps, allocated once.
struct Trainer {
  const FFParams& p;
  const Dataset& train;
  const Dataset& test;
  std::uint64_t seed;
  LabelCoding coding;
  FFNet net;
  std::vector<int> chosen, compare_chosen;
  bool want_goodness, want_softmax, need_readout;
  NegativeKind negative_kind;
  bool unsupervised;
  SoftmaxClassifier readout;
  std::unique_ptr<SoftmaxClassifier> compare;  // --compare-readout-layers, beside `readout`
  Rng neg_rng;                                 // wrong labels, or the hybrids' partners and masks
  std::unique_ptr<HybridMasks> masks;          // unsupervised

  Mat images;       // (batch, features) gathered batch
  std::vector<int> batch_rows;  // the gathered images' rows in `train`
  std::vector<int> labels, neg_labels, fixed_neg;
  Vec target;       // (2 batch): ones then zeros
  Mat feats, compare_feats, logits; // read-out inputs and output of a batch

  Trainer(const FFParams& params, const Dataset& tr, const Dataset& te, std::uint64_t s)
      : p(params),
        train(tr),
        test(te),
        seed(s),
        coding(params.label_coding()),
        net(make_ff_arrays(params, tr.features(), s), params.layer_params(), parse_norm(params.input_norm)),
        chosen(params.chosen_readout_layers()),
        compare_chosen(params.compare_readout_layers),
        want_goodness(params.predict != "softmax"),
        want_softmax(params.predict != "goodness"),
        need_readout(want_softmax || parse_negative(params.negatives) == NegativeKind::hard),
        negative_kind(parse_negative(params.negatives)),
        unsupervised(negative_kind == NegativeKind::hybrid),
        readout(net.feature_width(chosen), tr.num_classes, params.readout_params()),
        neg_rng(make_rng(s, "ff.negatives")) {
    coding.classes = tr.num_classes;
    coding.validate(tr.features());
    if (!compare_chosen.empty())
      compare = std::make_unique<SoftmaxClassifier>(net.feature_width(compare_chosen), tr.num_classes,
                                                    readout.params());
    if (unsupervised) masks = std::make_unique<HybridMasks>(hybrid_mask_params(params, tr.features()));
    // A negative is its positive's image under another label: the rows differ only in the label pixels,
    // and (one label value, the rest 0) both normalise alike.
    if (params.pair_negatives) net.layer(0).pair_negatives(coding.classes);
  }

  // Fills images/labels with the training examples order[start, start + n).
  void gather(const std::vector<int>& order, int start, int n) {
    images.resize(n, train.features());
    batch_rows.assign(order.begin() + start, order.begin() + start + n);
    gather_examples(train, batch_rows.data(), n, images, labels);
  }

  // The input the read-outs see: the neutral label overlaid, or (unsupervised) the image as it is.
  void write_readout_input(MatRef x, ConstMatRef part) const {
    if (unsupervised)
      x = part;
    else
      overlay_neutral(x, part, coding);
  }
  // The read-outs' features of `images_in`, one pass up the layers for both, `chunk` images at a time.
  // images_in: (n, features); f: (n, width of chosen); fc: (n, width of compare_chosen), untouched without
  // a second read-out.
  void readout_features(Mat& f, Mat& fc, ConstMatRef images_in, int chunk = 1000) {
    const Eigen::Index n = images_in.rows();
    f.resize(n, net.feature_width(chosen));
    if (compare) fc.resize(n, net.feature_width(compare_chosen));
    int top = *std::max_element(chosen.begin(), chosen.end()) + 1;
    if (compare) top = std::max(top, *std::max_element(compare_chosen.begin(), compare_chosen.end()) + 1);
    for (Eigen::Index start = 0; start < n; start += chunk) {
      const int b = static_cast<int>(std::min<Eigen::Index>(chunk, n - start));
      write_readout_input(net.input(b), images_in.middleRows(start, b));
      net.normalise_input();
      net.propagate(top);
      net.collect_features(f.middleRows(start, b), chosen);
      if (compare) net.collect_features(fc.middleRows(start, b), compare_chosen);
    }
  }

  // The read-out's class probabilities for the read-out pass of the gathered batch, then one step of each
  // read-out. Its input is the layers' activity as it is: nothing flows back into them.
  void readout_step(float lr) {
    readout_features(feats, compare_feats, images, static_cast<int>(images.rows()));
    logits.resize(images.rows(), train.num_classes);
    readout.logits(logits, feats);
    readout.train_step(feats, labels, lr);
    if (compare) compare->train_step(compare_feats, labels, lr);
  }

  void draw_negatives(const std::vector<int>& order, int start) {
    if (unsupervised) return;  // the hybrids are drawn as they are written (write_pos_neg)
    const int n = static_cast<int>(labels.size());
    neg_labels.resize(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
      const int y = labels[static_cast<std::size_t>(i)];
      int neg;
      if (p.fixed_negatives && !fixed_neg.empty()) {
        neg = fixed_neg[static_cast<std::size_t>(order[static_cast<std::size_t>(start + i)])];
      } else if (negative_kind == NegativeKind::hard) {
        neg = sample_wrong_label_by_logits(logits.row(i).data(), y, train.num_classes, neg_rng);
      } else {
        neg = random_wrong_label(y, train.num_classes, neg_rng);
      }
      neg_labels[static_cast<std::size_t>(i)] = neg;
    }
  }

  // Writes [positives; negatives] of the gathered batch into the net's input, normalised. Unsupervised:
  // the images as they are, then a fresh hybrid of each with another training image.
  void write_pos_neg() {
    const int n = static_cast<int>(images.rows());
    MatRef x = net.input(2 * n);
    if (unsupervised) {
      x.topRows(n) = images;
      hybrid_negatives(x.bottomRows(n), train.images, batch_rows, *masks, neg_rng);
    } else {
      overlay_labels(x.topRows(n), images, labels, coding);
      overlay_labels(x.bottomRows(n), images, neg_labels, coding);
    }
    net.normalise_input();
    if (target.size() != 2 * n) {
      target.resize(2 * n);
      target.head(n).setOnes();
      target.tail(n).setZero();
    }
  }

  double error_goodness(const Dataset& d, int limit) {
    const Dataset s = limit > 0 && limit < d.size() ? d.head(limit) : d;
    return error_rate(net.predict_goodness(s.images, coding, chosen), s.labels);
  }
  // The read-outs' errors on `d`: "softmax", and "softmax_compare" with a second read-out.
  void errors_softmax(nlohmann::json& e, const Dataset& d, int limit) {
    const Dataset s = limit > 0 && limit < d.size() ? d.head(limit) : d;
    Mat f, fc;
    readout_features(f, fc, s.images);
    e["softmax"] = error_rate(readout.predict(f), s.labels);
    if (compare) e["softmax_compare"] = error_rate(compare->predict(fc), s.labels);
  }
  nlohmann::json evaluate(const Dataset& d, int limit) {
    nlohmann::json e;
    if (want_goodness) e["goodness"] = error_goodness(d, limit);
    if (want_softmax) errors_softmax(e, d, limit);
    return e;
  }

  // The learning state of a run, either schedule (the caller adds its counters and curve).
  void save(Checkpoint& c) {
    for (int l = 0; l < net.layers(); ++l) {
      for_each_digital(l, [&](DigitalArray& a, const std::string& key) { a.save(c, key); });
      c.put(fmt::format("ff.layer{}.peer_mean", l), Mat(net.layer(l).running_mean()));
    }
    readout.save(c, "ff.readout");
    if (compare) compare->save(c, "ff.readout_compare");
    c.put("ff.negatives", neg_rng);
  }
  void restore(const Checkpoint& c) {
    restore_layers(c);
    readout.restore(c, "ff.readout");
    if (compare) compare->restore(c, "ff.readout_compare");
    c.get("ff.negatives", neg_rng);
  }
  // The layers' weights, optimiser states and peer means (not the read-outs).
  void restore_layers(const Checkpoint& c) {
    for (int l = 0; l < net.layers(); ++l) {
      for_each_digital(l, [&](DigitalArray& a, const std::string& key) { a.restore(c, key); });
      Mat mean;
      c.get(fmt::format("ff.layer{}.peer_mean", l), mean, 1, net.layer(l).units());
      net.layer(l).set_running_mean(mean.row(0));
    }
  }
  // Each digital array of layer l with its checkpoint key: the layer's, or each block's of its receptive
  // fields.
  template <typename F>
  void for_each_digital(int l, F&& f) {
    const auto digital = [&](SynapticArray& array) -> DigitalArray& {
      auto* a = dynamic_cast<DigitalArray*>(&array);
      require(a != nullptr, "layer {} is not a digital array: only digital runs checkpoint here", l);
      return *a;
    };
    const std::string key = fmt::format("ff.layer{}", l);
    if (auto* local = dynamic_cast<LocalArray*>(&net.layer(l).array())) {
      for (int b = 0; b < local->blocks(); ++b) f(digital(local->block_array(b)), fmt::format("{}.block{}", key, b));
    } else {
      f(digital(net.layer(l).array()), key);
    }
  }

  // Greedy schedule and unsupervised FF: the linear read-outs on the frozen net, after the layers.
  void train_readout_after(nlohmann::json& curve, bool log) {
    Mat f, fc;
    readout_features(f, fc, train.images);
    std::vector<ReadoutFit> fits = {{readout, f}};
    if (compare) fits.push_back({*compare, fc});
    fit_readouts(p, seed, train.labels, fits, curve, log);
  }
};

// The pipelined schedule's epochs as the epoch runner sees them: every layer learns from every batch on
// its way up.
class DigitalEpochs final : public EpochTrainer {
 public:
  DigitalEpochs(Trainer& t, const FFParams& p, const Dataset& train, const Dataset& test, const Dataset* validation,
                std::uint64_t seed)
      : t_(t), p_(p), train_(train), test_(test), validation_(validation), seed_(seed) {}
  nlohmann::json train_epoch(int epoch, long long& step, long long total_steps) override {
    const int n = train_.size();
    const std::vector<int> order = shuffled_indices(n, stream_seed(seed_, "ff.order", epoch));
    std::vector<FFStepStats> sum;
    for (int start = 0; start < n; start += p_.batch, ++step) {
      const int b = std::min(p_.batch, n - start);
      const float f = p_.lr_factor_at(static_cast<double>(step) / static_cast<double>(total_steps));
      t_.gather(order, start, b);
      if (t_.need_readout) t_.readout_step(p_.readout_lr * f);
      t_.draw_negatives(order, start);
      t_.write_pos_neg();
      t_.net.train_all(t_.target, p_.lr * f, 1.0f / static_cast<float>(2 * b), stats_);
      accumulate(sum, stats_);
    }
    return {{"layers", layer_stats_json(sum, (n + p_.batch - 1) / p_.batch)}};
  }
  nlohmann::json curve_error() override { return t_.evaluate(test_, p_.test_limit); }
  nlohmann::json curve_errors_beside() override {
    nlohmann::json e = {{"train_error", t_.evaluate(train_, p_.train_eval_limit)}};
    if (validation_ != nullptr) e["validation_error"] = t_.evaluate(*validation_, 0);
    return e;
  }
  std::string progress_text(const nlohmann::json& entry) const override {
    return curve_errors_text(entry);
  }

 private:
  Trainer& t_;
  const FFParams& p_;
  const Dataset& train_;
  const Dataset& test_;
  const Dataset* validation_;  // null: none held out
  std::uint64_t seed_;
  std::vector<FFStepStats> stats_;
};

// Where a greedy run stands: layer `layer` has finished `epoch` of its epochs, the layers below it all of
// theirs. What its checkpoints keep, beside the trainer's state.
struct GreedyState {
  int layer = 0;
  int epoch = 0;  // of `layer`
  nlohmann::json curve = nlohmann::json::array();
  nlohmann::json final_layers = nlohmann::json::array();  // each finished layer's last epoch
  std::vector<double> epoch_seconds;                      // each finished layer's mean epoch
  double layer_s = 0;                                     // wall time of `layer`'s finished epochs
};

// A greedy checkpoint's record, each field checked against the run about to continue (Error naming the
// file, the field and its value).
GreedyState read_greedy_point(const Checkpointing& ck, const ResumePoint& r, int layers, int epochs,
                              long long steps_per_epoch) {
  GreedyState g;
  const long long layer = resume_integer(r, ck, "layer"), epoch = resume_integer(r, ck, "epoch");
  require(layer >= 0 && layer < layers, "{}: the checkpoint's run.layer is {}, outside this run's layers 0..{}",
          ck.path, layer, layers - 1);
  require(epoch >= 1 && epoch <= epochs, "{}: the checkpoint's run.epoch is {}, outside a layer's epochs 1..{}",
          ck.path, epoch, epochs);
  g.layer = static_cast<int>(layer);
  g.epoch = static_cast<int>(epoch);
  const long long step = resume_integer(r, ck, "step");
  require(step == epoch * steps_per_epoch,
          "{}: the checkpoint's run.step is {}, but {} epochs of {} steps end at step {}", ck.path, step, epoch,
          steps_per_epoch, epoch * steps_per_epoch);
  // The curve records about 20 epochs a layer; the layers below this one, and this one if it is done, have
  // their last epoch and its time.
  g.curve = resume_records(r, ck, "curve", std::nullopt, "a list", "an epoch's record");
  const std::size_t finished = static_cast<std::size_t>(g.layer + (g.epoch == epochs ? 1 : 0));
  const std::string per_layer = fmt::format("one per finished layer ({})", finished);
  g.final_layers = resume_records(r, ck, "final_layers", finished, per_layer, "a layer's record");
  g.epoch_seconds = resume_times(r, ck, "epoch_seconds", finished, per_layer);
  g.layer_s = resume_seconds(r, ck, "layer_s");
  if (g.epoch == epochs) {  // that layer is done: the next starts
    ++g.layer;
    g.epoch = 0;
    g.layer_s = 0;
  }
  return g;
}

// --layers-from: loads the checkpoint, checks that its run built the same net on the same input (Error naming
// the file, the option and both values), and restores its layers into t.net. Returns the results' record of
// where the layers came from. The source's layers may have learned from images this run holds out: refused
// when labels reached them (supervised), said and recorded when none did (unsupervised).
nlohmann::json take_layers(const FFParams& p, Trainer& t, std::uint64_t run_seed, bool log) {
  const Checkpoint c = Checkpoint::load(p.layers_from);
  const nlohmann::json& run = c.get_json("run");
  require(run.is_object() && run.contains("fingerprint") && run.at("fingerprint").is_object(),
          "{}: its 'run' record has no settings: not a checkpoint of an ff_mnist run", p.layers_from);
  const nlohmann::json& settings = run.at("fingerprint");
  const std::string device = settings.value("device", std::string("digital"));
  require(device == "digital", "{}: written by a run in situ (device '{}'): layers-from takes a digital run's layers",
          p.layers_from, device);
  FFParams src;
  CLI::App app;
  src.add_options(app);
  parse_recorded_options(app, settings, p.layers_from + " (its recorded settings)");
  const auto same = [&](const char* option, const auto& was, const auto& now) {
    require(was == now, "{}: its layers were trained with {} {}, this run has {}: layers-from takes the same net on "
            "the same input", p.layers_from, option, nlohmann::json(was).dump(), nlohmann::json(now).dump());
  };
  same("layers", src.layers, p.layers);
  same("receptive-fields", src.receptive_fields, p.receptive_fields);
  same("norm", src.norm, p.norm);
  same("input-norm", src.input_norm, p.input_norm);
  same("standardise", src.standardise, p.standardise);
  same("negatives hybrid (unsupervised)", src.unsupervised(), p.unsupervised());
  if (!p.unsupervised()) {
    same("label-value", src.label_value, p.label_value);
    same("neutral-value", src.neutral_value, p.neutral_value);
  }
  // The images the source learned from: its training set, less what it held out.
  // (A training limit's subset is drawn from the run's seed.)
  const bool same_split = src.validation == p.validation && src.validation_seed == p.validation_seed &&
                          src.train_limit == p.train_limit &&
                          (p.train_limit == 0 || settings.value("seed", nlohmann::json()) == nlohmann::json(run_seed));
  const bool saw_held_out = p.validation > 0 && !same_split;
  require(!saw_held_out || p.unsupervised(),
          "{}: its layers learned with labels from the training images this run holds out (its validation {}, "
          "validation-seed {}, train-limit {}; this run's {}, {}, {}): the validation error would not be held out",
          p.layers_from, src.validation, src.validation_seed, src.train_limit, p.validation, p.validation_seed,
          p.train_limit);
  if (saw_held_out && log)
    fmt::print(stderr, "{}: its layers learned, without labels, from the images this run holds out (its validation "
               "{}, this run's {}): only the read-out never saw their labels\n", p.layers_from, src.validation,
               p.validation);
  t.restore_layers(c);
  nlohmann::json from = {{"checkpoint", p.layers_from},
                         {"settings", settings},
                         {"epoch", run.value("epoch", nlohmann::json())},
                         {"layers_saw_validation_images", saw_held_out}};
  if (run.contains("layer")) from["layer"] = run.at("layer");
  if (log)
    fmt::print(stderr, "layers from {} (after epoch {}); the read-outs learn on them, frozen\n", p.layers_from,
               from["epoch"].dump());
  return from;
}

}  // namespace

nlohmann::json train_ff(const FFParams& p, const Dataset& train, const Dataset& test, std::uint64_t seed, bool log,
                        const FFCurveCallback& on_epoch, const Checkpointing& ck, const Dataset* validation) {
  p.validate();
  require(train.size() >= 1 && test.size() >= 1, "FF needs training and test examples");
  if (validation != nullptr && validation->size() == 0) validation = nullptr;
  if (p.recurrent > 0) return train_recurrent(p, train, test, seed, log, on_epoch, ck, validation);
  Trainer t(p, train, test, seed);
  const int n = train.size();
  const int steps_per_epoch = (n + p.batch - 1) / p.batch;
  if (p.fixed_negatives) {
    t.fixed_neg.resize(static_cast<std::size_t>(n));
    Rng rng = make_rng(seed, "ff.fixed_negatives");
    for (int i = 0; i < n; ++i)
      t.fixed_neg[static_cast<std::size_t>(i)] = random_wrong_label(train.labels[static_cast<std::size_t>(i)], train.num_classes, rng);
  }
  nlohmann::json curve = nlohmann::json::array();
  nlohmann::json final_layers;
  std::vector<double> epoch_seconds;
  std::vector<FFStepStats> stats;
  Stopwatch train_clock;
  double eval_seconds = 0;
  double prior_train_s = 0, prior_eval_s = 0;  // of the runs before a resume
  nlohmann::json layers_from;
  if (!p.layers_from.empty()) {
    // The layers as another run left them; only the read-outs learn, a few minutes: nothing to checkpoint.
    require(!ck.resume, "layers-from {}: the read-outs' fit writes no checkpoint to resume: run it again without "
            "--resume", p.layers_from);
    layers_from = take_layers(p, t, seed, log);
    t.train_readout_after(curve, log);
  } else if (p.schedule == "pipelined") {
    EpochState state;
    if (ck.resume) {
      const Checkpoint& c = ck.checkpoint();
      require_resumable(ck);
      const ResumePoint at = read_resume_point(ck, p.epochs, steps_per_epoch);
      prior_train_s = resume_seconds(at, ck, "train_s");
      prior_eval_s = resume_seconds(at, ck, "curve_evaluation_s");
      restoring(ck, [&] { t.restore(c); });
      state = resumed_state(at);
      require(state.curve.back().contains("layers"), "{}: the checkpoint's last curve entry has no 'layers'", ck.path);
      ck.release();  // restored: the loaded checkpoint is not needed again
      if (log) fmt::print(stderr, "resumed from {} after epoch {}\n", ck.path, state.epoch);
    }
    DigitalEpochs epochs(t, p, train, test, validation, seed);
    EpochPlan plan{p.epochs, steps_per_epoch, p.eval_every, "epoch", log};
    const bool finished = run_epochs(
        epochs, plan, state,
        checkpoint_at_epoch_end(ck, on_epoch, [&](Checkpoint& c) { t.save(c); }, [&] { return train_clock.seconds(); },
                                prior_train_s, prior_eval_s));
    curve = state.curve;
    epoch_seconds = state.epoch_seconds;
    eval_seconds = state.eval_s;
    final_layers = curve.back().at("layers");
    if (!finished) {
      if (log) fmt::print(stderr, "stopped after epoch {}; checkpoint {}\n", state.epoch, ck.path);
      return stopped_metrics(state.epoch, ck.path, curve);
    }
    // Unsupervised FF: the paper trains its linear read-out once the net has learned. The read-outs trained
    // beside the layers (the learning curve's) go on learning on the frozen net; from the last checkpoint
    // and the seed, a resumed run does the same passes.
    if (t.unsupervised && p.readout_epochs > 0) t.train_readout_after(curve, log);
  } else {
    // Greedy: layer l learns for all its epochs on the output of the frozen layers below. A checkpoint is
    // written at every epoch the curve records (about 20 per layer) and where --stop-after-epoch stops; its
    // epochs count on through the layers (layer l's epoch e is the run's epoch l x epochs + e).
    GreedyState g;
    if (ck.resume) {
      require_resumable(ck);
      ResumePoint at;
      at.run = ck.checkpoint().get_json("run");
      require(at.run.is_object(), "{}: the checkpoint's 'run' record is not an object", ck.path);
      g = read_greedy_point(ck, at, t.net.layers(), p.epochs, steps_per_epoch);
      prior_train_s = resume_seconds(at, ck, "train_s");
      restoring(ck, [&] { t.restore(ck.checkpoint()); });
      ck.release();
      if (log) fmt::print(stderr, "resumed from {} at layer {} after epoch {}\n", ck.path, g.layer, g.epoch);
    }
    const bool one_batch = p.batch >= n;
    for (int l = g.layer; l < t.net.layers(); ++l) {
      Progress progress(fmt::format("layer {} epoch", l), p.epochs);
      const int first = l == g.layer ? g.epoch : 0;
      progress.resume_at(first);
      const long long total_steps = static_cast<long long>(p.epochs) * steps_per_epoch;
      long long step = static_cast<long long>(first) * steps_per_epoch;
      bool cached = false;
      const int report_every = std::max(1, p.epochs / 20);
      const double prior_layer_s = l == g.layer ? g.layer_s : 0;
      Stopwatch layer_clock;
      for (int epoch = first + 1; epoch <= p.epochs; ++epoch) {
        std::vector<int> order = shuffled_indices(n, stream_seed(seed, "ff.order", static_cast<std::uint64_t>(epoch)));
        FFStepStats sum;
        for (int start = 0; start < n; start += p.batch, ++step) {
          const int b = std::min(p.batch, n - start);
          const float f = p.lr_factor_at(static_cast<double>(step) / static_cast<double>(total_steps));
          // One full fixed batch: the input of layer l is the same every step, so it is computed once.
          if (!(one_batch && p.fixed_negatives && cached)) {
            if (one_batch && p.fixed_negatives) std::iota(order.begin(), order.end(), 0);
            t.gather(order, start, b);
            if (t.negative_kind == NegativeKind::hard && t.need_readout) t.readout_step(p.readout_lr * f);
            t.draw_negatives(order, start);
            t.write_pos_neg();
            t.net.propagate(l);
            cached = true;
          }
          const FFStepStats s = t.net.train_layer(l, t.target, p.lr * f, 1.0f / static_cast<float>(2 * b));
          sum.loss += s.loss;
          sum.goodness_pos += s.goodness_pos;
          sum.goodness_neg += s.goodness_neg;
        }
        const nlohmann::json ls = layer_stats_json({sum}, steps_per_epoch)[0];
        const double layer_s = prior_layer_s + layer_clock.seconds();
        const bool recorded = epoch % report_every == 0 || epoch == p.epochs;
        if (recorded) {
          g.curve.push_back({{"layer", l}, {"epoch", epoch}, {"seconds", layer_s}, {"layers", {ls}}});
          if (log) progress.report(epoch, fmt::format("loss/G+/G-{}", layer_text(nlohmann::json::array({ls}))));
          if (on_epoch) on_epoch(g.curve);
        }
        if (epoch == p.epochs) {
          g.final_layers.push_back(ls);
          g.epoch_seconds.push_back(layer_s / p.epochs);
        }
        const int run_epoch = l * p.epochs + epoch;
        const bool stop = ck.stop_after > 0 && run_epoch == ck.stop_after;
        if (!ck.path.empty() && (recorded || stop)) {
          Checkpoint c;
          nlohmann::json record = checkpoint_run_record(ck);
          record.update({{"layer", l}, {"epoch", epoch}, {"step", static_cast<long long>(epoch) * steps_per_epoch},
                         {"curve", g.curve}, {"final_layers", g.final_layers}, {"epoch_seconds", g.epoch_seconds},
                         {"layer_s", layer_s}, {"train_s", prior_train_s + train_clock.seconds()}});
          c.put_json("run", record);
          t.save(c);
          c.save(ck.path);
        }
        if (stop) {
          if (log) progress.finish();
          if (log) fmt::print(stderr, "stopped after layer {} epoch {}; checkpoint {}\n", l, epoch, ck.path);
          return stopped_metrics(run_epoch, ck.path, g.curve);
        }
      }
      if (log) progress.finish();
    }
    curve = g.curve;
    final_layers = g.final_layers;
    epoch_seconds = g.epoch_seconds;
    if (t.want_softmax) t.train_readout_after(curve, log);
  }
  const double train_s = prior_train_s + train_clock.seconds() - eval_seconds;

  Stopwatch final_clock;
  const nlohmann::json test_err = t.evaluate(test, p.test_limit);
  const nlohmann::json train_err = t.evaluate(train, p.train_eval_limit);
  const nlohmann::json validation_err = validation != nullptr ? t.evaluate(*validation, 0) : nlohmann::json();
  const double final_eval_s = final_clock.seconds();
  const std::string main_mode = t.want_goodness ? "goodness" : "softmax";
  double mean_epoch = 0;
  for (double s : epoch_seconds) mean_epoch += s;
  if (!epoch_seconds.empty()) mean_epoch /= static_cast<double>(epoch_seconds.size());
  if (log) fmt::print(stderr, "final{}\n", errors_text(test_err, train_err, validation_err));
  nlohmann::json m = {{"status", "finished"},
          {"mode", t.unsupervised ? "unsupervised" : "supervised"},
          {"negatives", p.negatives},
          {"train_examples", n},
          {"test_examples", p.test_limit > 0 ? std::min(p.test_limit, test.size()) : test.size()},
          {"train_eval_examples", p.train_eval_limit > 0 ? std::min(p.train_eval_limit, n) : n},
          {"prediction", main_mode},
          {"readout_layers", t.chosen},
          {"compare_readout_layers", t.compare_chosen},
          {"test_error", test_err[main_mode]},
          {"train_error", train_err[main_mode]},
          {"test_errors", test_err},
          {"train_errors", train_err},
          {"layers", final_layers},
          {"epoch_seconds", epoch_seconds},
          {"mean_epoch_seconds", mean_epoch},
          {"curve", curve},
          {"timing_s",
           {{"train", train_s},
            {"curve_evaluation", prior_eval_s + eval_seconds},
            {"final_evaluation", final_eval_s},
            {"earlier_processes", prior_train_s + prior_eval_s}}}};
  if (t.unsupervised) m["mask_passes"] = p.mask_passes;
  if (!layers_from.is_null()) m["layers_from"] = layers_from;
  if (validation != nullptr) {
    add_validation(m, validation->size(), validation_err, main_mode);
    if (log && !m["selected_by_validation"].is_null()) {
      const nlohmann::json& sel = m["selected_by_validation"];
      fmt::print(stderr, "chosen by the validation error ({}): epoch {}, validation {:.2f}%, test {:.2f}%\n", main_mode,
                 sel["epoch"].get<int>(), 100 * sel["validation_error"].get<double>(),
                 100 * sel["test_error"].get<double>());
    }
  }
  return m;
}

nlohmann::json select_by_validation(const nlohmann::json& curve, const std::string& prediction) {
  nlohmann::json best;
  for (const nlohmann::json& e : curve) {
    if (!e.contains("validation_error") || !e.contains("test_error")) continue;
    const nlohmann::json& v = e["validation_error"];
    if (!v.contains(prediction)) continue;
    // The earliest of equal errors: the fewer epochs.
    if (best.is_null() || v[prediction].get<double>() < best["validation_error"].get<double>())
      best = {{"epoch", e["epoch"]},
              {"prediction", prediction},
              {"validation_error", v[prediction]},
              {"test_error", e["test_error"][prediction]}};
  }
  return best;
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

RunData load_ff_data(const FFParams& p, std::uint64_t seed) {
  RunData d = load_run_data({p.data_dir, p.train_limit, p.test_limit, p.validation, p.validation_seed}, seed);
  // The label pixels must fit in an image before any overlay writes them.
  p.label_coding().validate(d.train.features());
  if (p.standardise) {
    // MNIST pixel mean and standard deviation, as the pytorch/examples recipe normalises
    const float mean = 0.1307f, sd = 0.3081f;
    for (Dataset* x : {&d.train, &d.test, &d.validation}) x->images.array() = (x->images.array() - mean) / sd;
  }
  return d;
}

nlohmann::json run_ff(const FFParams& p, std::uint64_t seed, const FFCurveCallback& on_epoch,
                      const Checkpointing& ck) {
  p.validate();
  require_resumable(ck);
  Stopwatch total;
  const RunData data = load_ff_data(p, seed);
  const double load_s = total.seconds();
  nlohmann::json m = train_ff(p, data.train, data.test, seed, true, on_epoch, ck, &data.validation);
  if (m["status"] == "stopped") return m;
  m["timing_s"]["load"] = load_s;
  set_wall_time(m["timing_s"], total.seconds());
  m["timing_s"]["cpu_total"] = cpu_seconds();  // this process's
  return m;
}

}  // namespace mortal
