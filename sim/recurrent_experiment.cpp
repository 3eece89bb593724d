#include "sim/recurrent_experiment.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "core/checkpoint.h"
#include "core/error.h"
#include "core/rng.h"
#include "model/digital_array.h"
#include "model/ff_labels.h"
#include "model/softmax.h"
#include "sim/epoch_runner.h"
#include "sim/progress.h"
#include "sim/results.h"

namespace mortal {

namespace {

// The top-down arrays of a run, digital: layer l's initialised from its own stream, as the bottom-up arrays
// are (make_ff_arrays).
std::vector<std::unique_ptr<SynapticArray>> make_down_arrays(const FFParams& p, int classes, std::uint64_t seed) {
  std::vector<std::unique_ptr<SynapticArray>> down;
  for (std::size_t l = 0; l < p.layers.size(); ++l) {
    const int above = l + 1 < p.layers.size() ? p.layers[l + 1] : classes;
    auto a = std::make_unique<DigitalArray>(p.layers[l], above, p.optimiser_params());
    Rng rng = make_rng(seed, "ff.init_down", l);
    a->init_uniform(rng, p.init_scale);
    down.push_back(std::move(a));
  }
  return down;
}

DigitalArray& digital(SynapticArray& a) {
  auto* d = dynamic_cast<DigitalArray*>(&a);
  require(d != nullptr, "the digital recurrent net runs on digital arrays");
  return *d;
}

// The digital run: the bottom-up arrays as the feed-forward net's (make_ff_arrays, the same initial
// weights), the top-down arrays beside them, exact circuits.
class DigitalRecurrent final : public RecurrentHost {
 public:
  DigitalRecurrent(const FFParams& p, int features, int classes, std::uint64_t seed)
      : net_(make_ff_arrays(p, features, seed), make_down_arrays(p, classes, seed), p.layer_params(),
             parse_norm(p.input_norm), p.recurrent_params()) {}
  FFRecurrentNet& net() override { return net_; }
  void save(Checkpoint& c) override {
    for (int l = 0; l < net_.layers(); ++l) {
      digital(net_.up(l)).save(c, fmt::format("ff.layer{}", l));
      digital(net_.down(l)).save(c, fmt::format("ff.layer{}.down", l));
    }
  }
  void restore(const Checkpoint& c) override {
    for (int l = 0; l < net_.layers(); ++l) {
      digital(net_.up(l)).restore(c, fmt::format("ff.layer{}", l));
      digital(net_.down(l)).restore(c, fmt::format("ff.layer{}.down", l));
    }
  }

 private:
  FFRecurrentNet net_;
};

class RecurrentEpochs final : public EpochTrainer {
 public:
  RecurrentEpochs(RecurrentHost& host, const FFParams& p, const Dataset& train, const Dataset& test,
                  const Dataset* validation, std::uint64_t seed)
      : p_(p),
        train_(train),
        test_(test),
        validation_(validation),
        seed_(seed),
        host_(host),
        net_(host.net()),
        chosen_(p.chosen_readout_layers()),
        hard_(parse_negative(p.negatives) == NegativeKind::hard),
        readout_(net_.feature_width(chosen_), train.num_classes, p.readout_params()),
        neg_rng_(make_rng(seed, "ff.negatives")) {}

  nlohmann::json train_epoch(int epoch, long long& step, long long total_steps) override {
    const int n = train_.size();
    const std::vector<int> order =
        shuffled_indices(n, stream_seed(seed_, "ff.order", static_cast<std::uint64_t>(epoch)));
    std::vector<FFStepStats> sum, stats;
    for (int start = 0; start < n; start += p_.batch, ++step) {
      const int b = std::min(p_.batch, n - start);
      const float f = p_.lr_factor_at(static_cast<double>(step) / static_cast<double>(total_steps));
      const float f_next = p_.lr_factor_at(static_cast<double>(step + 1) / static_cast<double>(total_steps));
      images_.resize(b, train_.features());
      gather_examples(train_, order.data() + start, b, images_, labels_);
      draw_negatives(p_.readout_lr * f);
      // [positives; negatives]: the images twice, the true labels then the wrong ones clamped at the top.
      rows_.resize(2 * b, train_.features());
      rows_.topRows(b) = images_;
      rows_.bottomRows(b) = images_;
      std::vector<int> clamped = labels_;
      clamped.insert(clamped.end(), neg_labels_.begin(), neg_labels_.end());
      if (target_.size() != 2 * b) {
        target_.resize(2 * b);
        target_.head(b).setOnes();
        target_.tail(b).setZero();
      }
      net_.start(rows_, clamped);
      const int iterations = net_.recurrent().iterations;
      for (int t = 1; t <= iterations; ++t) {
        host_.rates(p_.lr * f, p_.lr * (t < iterations ? f : f_next));
        net_.learn(target_, p_.lr * f, 1.0f / static_cast<float>(2 * b), stats);
        accumulate(sum, stats);
      }
    }
    const int steps = ((n + p_.batch - 1) / p_.batch) * net_.recurrent().iterations;
    return {{"layers", layer_stats_json(sum, steps)}};
  }
  nlohmann::json curve_error() override { return {{"goodness", error(test_, p_.test_limit)}}; }
  nlohmann::json curve_errors_beside() override {
    nlohmann::json e = {{"train_error", {{"goodness", error(train_, p_.train_eval_limit)}}}};
    if (validation_ != nullptr) e["validation_error"] = {{"goodness", error(*validation_, 0)}};
    return e;
  }
  std::string progress_text(const nlohmann::json& entry) const override {
    return curve_errors_text(entry);
  }

  double error(const Dataset& d, int limit) {
    const Dataset s = limit > 0 && limit < d.size() ? d.head(limit) : d;
    host_.evaluating(true);
    const std::vector<int> chosen = net_.predict(s.images);
    host_.predicted(s.size());
    host_.evaluating(false);
    return error_rate(chosen, s.labels);
  }

  void save(Checkpoint& c) {
    host_.save(c);
    for (int l = 0; l < net_.layers(); ++l) c.put(fmt::format("ff.layer{}.peer_mean", l), Mat(net_.running_mean(l)));
    readout_.save(c, "ff.readout");
    c.put("ff.negatives", neg_rng_);
  }
  void restore(const Checkpoint& c) {
    host_.restore(c);
    for (int l = 0; l < net_.layers(); ++l) {
      Mat mean;
      c.get(fmt::format("ff.layer{}.peer_mean", l), mean, 1, net_.units(l));
      net_.set_running_mean(l, mean.row(0));
    }
    readout_.restore(c, "ff.readout");
    c.get("ff.negatives", neg_rng_);
  }

 private:
  // A wrong label for every image of the batch: uniform, or (hard) sampled in proportion to the read-out's
  // probabilities from one bottom-up pass, after which the read-out takes its step on that pass.
  void draw_negatives(float readout_lr) {
    const int b = static_cast<int>(labels_.size());
    neg_labels_.resize(static_cast<std::size_t>(b));
    if (hard_) {
      net_.start(images_, labels_);  // the bottom-up pass does not see the clamped label
      feats_.resize(b, net_.feature_width(chosen_));
      net_.collect_features(feats_, chosen_);
      logits_.resize(b, train_.num_classes);
      readout_.logits(logits_, feats_);
      readout_.train_step(feats_, labels_, readout_lr);
    }
    for (int i = 0; i < b; ++i) {
      const int y = labels_[static_cast<std::size_t>(i)];
      neg_labels_[static_cast<std::size_t>(i)] =
          hard_ ? sample_wrong_label_by_logits(logits_.row(i).data(), y, train_.num_classes, neg_rng_)
                : random_wrong_label(y, train_.num_classes, neg_rng_);
    }
  }

  const FFParams& p_;
  const Dataset& train_;
  const Dataset& test_;
  const Dataset* validation_;  // null: none held out
  std::uint64_t seed_;
  RecurrentHost& host_;
  FFRecurrentNet& net_;
  std::vector<int> chosen_;
  bool hard_;
  SoftmaxClassifier readout_;
  Rng neg_rng_;
  Mat images_, rows_, feats_, logits_;
  std::vector<int> labels_, neg_labels_;
  Vec target_;
};

}  // namespace

std::vector<Mat> recurrent_down_weights(const FFParams& p, int classes, std::uint64_t seed) {
  std::vector<Mat> w;
  for (auto& a : make_down_arrays(p, classes, seed)) {
    w.emplace_back(a->outputs(), a->inputs());
    a->read_weights(w.back());
  }
  return w;
}

nlohmann::json train_recurrent(const FFParams& p, const Dataset& train, const Dataset& test, std::uint64_t seed,
                               bool log, const FFCurveCallback& on_epoch, const Checkpointing& ck,
                               const Dataset* validation) {
  p.validate();
  require(p.recurrent > 0, "train_recurrent needs --recurrent N");
  DigitalRecurrent host(p, train.features(), train.num_classes, seed);
  return run_recurrent(host, p, train, test, seed, log, on_epoch, ck, validation);
}

std::unique_ptr<RecurrentHost> digital_recurrent(const FFParams& p, int features, int classes, std::uint64_t seed) {
  return std::make_unique<DigitalRecurrent>(p, features, classes, seed);
}

nlohmann::json run_recurrent(RecurrentHost& host, const FFParams& p, const Dataset& train, const Dataset& test,
                             std::uint64_t seed, bool log, const FFCurveCallback& on_epoch, const Checkpointing& ck,
                             const Dataset* validation) {
  if (validation != nullptr && validation->size() == 0) validation = nullptr;
  RecurrentEpochs t(host, p, train, test, validation, seed);
  const long long steps_per_epoch = (train.size() + p.batch - 1) / p.batch;
  Stopwatch train_clock;
  double prior_train_s = 0, prior_eval_s = 0;
  EpochState state;
  if (ck.resume) {
    require_resumable(ck);
    const ResumePoint at = read_resume_point(ck, p.epochs, steps_per_epoch);
    prior_train_s = resume_seconds(at, ck, "train_s");
    prior_eval_s = resume_seconds(at, ck, "curve_evaluation_s");
    restoring(ck, [&] { t.restore(ck.checkpoint()); });
    state = resumed_state(at);
    ck.release();
    if (log) fmt::print(stderr, "resumed from {} after epoch {}\n", ck.path, state.epoch);
  }
  EpochPlan plan{p.epochs, steps_per_epoch, p.eval_every, "epoch", log};
  const bool finished = run_epochs(
      t, plan, state,
      checkpoint_at_epoch_end(ck, on_epoch, [&](Checkpoint& c) { t.save(c); }, [&] { return train_clock.seconds(); },
                              prior_train_s, prior_eval_s));
  if (!finished) {
    if (log) fmt::print(stderr, "stopped after epoch {}; checkpoint {}\n", state.epoch, ck.path);
    return stopped_metrics(state.epoch, ck.path, state.curve);
  }
  const double train_s = prior_train_s + train_clock.seconds() - state.eval_s;
  host.finish_training();
  Stopwatch final_clock;
  const double test_err = t.error(test, p.test_limit);
  const double train_err = t.error(train, p.train_eval_limit);
  const double final_eval_s = final_clock.seconds();
  double mean_epoch = 0;
  for (double s : state.epoch_seconds) mean_epoch += s;
  mean_epoch /= static_cast<double>(state.epoch_seconds.size());
  if (log) fmt::print(stderr, "final test error goodness {:.2f}% | train {:.2f}%\n", 100 * test_err, 100 * train_err);
  const RecurrentParams rp = p.recurrent_params();
  nlohmann::json m = {
      {"status", "finished"},
      {"mode", "recurrent"},
      {"recurrent",
       {{"iterations", rp.iterations}, {"damping", rp.damping}, {"score_iterations", {rp.score_first, rp.score_last}}}},
      {"negatives", p.negatives},
      {"train_examples", train.size()},
      {"test_examples", p.test_limit > 0 ? std::min(p.test_limit, test.size()) : test.size()},
      {"train_eval_examples", p.train_eval_limit > 0 ? std::min(p.train_eval_limit, train.size()) : train.size()},
      {"prediction", "goodness"},
      {"test_error", test_err},
      {"train_error", train_err},
      {"test_errors", {{"goodness", test_err}}},
      {"train_errors", {{"goodness", train_err}}},
      {"layers", state.curve.back().at("layers")},
      {"epoch_seconds", state.epoch_seconds},
      {"mean_epoch_seconds", mean_epoch},
      {"curve", state.curve},
      {"timing_s",
       {{"train", train_s},
        {"curve_evaluation", prior_eval_s + state.eval_s},
        {"final_evaluation", final_eval_s},
        {"earlier_processes", prior_train_s + prior_eval_s}}}};
  if (validation != nullptr) add_validation(m, validation->size(), {{"goodness", t.error(*validation, 0)}}, "goodness");
  host.describe(m);
  return m;
}

}  // namespace mortal
