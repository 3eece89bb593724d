#include "sim/bp_experiment.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cmath>

#include "core/error.h"
#include "core/rng.h"
#include "model/dataset.h"
#include "model/softmax.h"
#include "sim/cli.h"
#include "sim/progress.h"
#include "sim/results.h"
#include "sim/run_data.h"

namespace mortal {

void BpParams::add_options(CLI::App& app) {
  data_dir = default_data_dir();
  const std::string data = "Data", network = "Network", optimiser = "Optimiser";
  app.add_option("--data", data_dir, "Folder with the MNIST IDX files")->group(data);
  app.add_option("--validation", validation, "Training images held out for validation (0: none)")->group(data);
  add_validation_seed_option(app, validation_seed, data);
  app.add_option("--train-limit", train_limit, "Use only this many training images (0: all)")->group(data);
  app.add_option("--test-limit", test_limit, "Evaluate on only this many test images (0: all)")->group(data);
  list_option(app.add_option("--layers", layers, "Hidden layer sizes, comma separated")->group(network));
  app.add_option("--dropout-input", dropout_input, "Probability of dropping an input pixel in training")->group(network);
  app.add_option("--dropout-hidden", dropout_hidden, "Probability of dropping a hidden unit in training")->group(network);
  app.add_option("--epochs", epochs, "Passes over the training set")->group(optimiser);
  app.add_option("--batch", batch, "Mini-batch size")->group(optimiser);
  // One name per concept across the binaries (ff_mnist's); the earlier spellings are aliases.
  app.add_option("--optimiser,--optimizer", optimizer, "sgd (with momentum) or adam (--optimizer: the earlier spelling)")
      ->group(optimiser);
  app.add_option("--lr", lr, "Base learning rate")->group(optimiser);
  app.add_option("--lr-schedule", lr_schedule, "constant, linear (to zero), half-linear or cosine")->group(optimiser);
  app.add_option("--momentum", momentum, "SGD momentum")->group(optimiser);
  app.add_option("--weight-cost,--weight-decay", weight_decay,
                 "L2 weight cost on the weights (--weight-decay: the earlier spelling)")
      ->group(optimiser);
  app.add_option("--adam-beta1", adam_beta1, "Adam: decay of the gradient average")->group(optimiser);
  app.add_option("--adam-beta2", adam_beta2, "Adam: decay of the squared-gradient average")->group(optimiser);
}

BpMlpParams BpParams::model_params(int features, int classes) const {
  BpMlpParams m;
  m.sizes.push_back(features);
  m.sizes.insert(m.sizes.end(), layers.begin(), layers.end());
  m.sizes.push_back(classes);
  m.optimizer = parse_bp_optimizer(optimizer);
  m.momentum = momentum;
  m.weight_decay = weight_decay;
  m.adam_beta1 = adam_beta1;
  m.adam_beta2 = adam_beta2;
  m.dropout_input = dropout_input;
  m.dropout_hidden = dropout_hidden;
  m.max_batch = batch;
  return m;
}

void BpParams::validate() const {
  for (std::size_t i = 0; i < layers.size(); ++i)
    require(layers[i] >= 1, "layers[{}] must be positive, got {}", i, layers[i]);
  require(epochs >= 1, "epochs must be at least 1, got {}", epochs);
  require(batch >= 1, "batch must be at least 1, got {}", batch);
  check_positive("lr", lr);
  parse_lr_schedule(lr_schedule);
  require(validation >= 0, "validation must be >= 0, got {}", validation);
  require(train_limit >= 0, "train-limit must be >= 0, got {}", train_limit);
  require(test_limit >= 0, "test-limit must be >= 0, got {}", test_limit);
  model_params(1, 2).validate();  // optimizer, momentum, weight decay, Adam betas, dropout
}

nlohmann::json to_json(const BpWork& w) {
  return {{"macs", w.macs},
          {"flops", w.flops()},
          {"other_flops", w.other_flops},
          {"param_bytes_read", w.param_bytes_read},
          {"param_bytes_written", w.param_bytes_written},
          {"activation_bytes_read", w.activation_bytes_read},
          {"activation_bytes_written", w.activation_bytes_written},
          {"bytes", w.bytes()}};
}

nlohmann::json to_json(const BpCost& c) {
  return {{"batch", c.batch},
          {"parameters", c.parameters},
          {"param_state_bytes", c.param_state_bytes},
          {"forward", to_json(c.forward)},
          {"backward", to_json(c.backward)},
          {"update", to_json(c.update)},
          {"total", to_json(c.total())}};
}

namespace {

struct Evaluation {
  double error = NAN, loss = NAN;
};

Evaluation evaluate(const BpMlp& net, const Dataset& d) {
  if (d.size() == 0) return {};
  Mat z(d.size(), d.num_classes), probs(d.size(), d.num_classes);
  net.logits(z, d.images);
  Evaluation e;
  e.loss = SoftmaxClassifier::cross_entropy(probs, z, d.labels);
  std::vector<int> pred(static_cast<std::size_t>(d.size()));
  for (Eigen::Index i = 0; i < z.rows(); ++i) z.row(i).maxCoeff(&pred[static_cast<std::size_t>(i)]);
  e.error = error_rate(pred, d.labels);
  return e;
}

}  // namespace

nlohmann::json run_bp(const BpParams& p, std::uint64_t seed, std::unique_ptr<BpMlp>* trained, RunEta* run) {
  p.validate();
  const LrSchedule schedule = parse_lr_schedule(p.lr_schedule);
  Stopwatch total;
  const RunData data = load_run_data({p.data_dir, p.train_limit, p.test_limit, p.validation, p.validation_seed}, seed);
  const Dataset &train = data.train, &test = data.test;
  const double load_s = total.seconds();

  const BpMlpParams mp = p.model_params(train.features(), train.num_classes);
  Rng init_rng = make_rng(seed, "bp_init");
  Rng dropout_rng = make_rng(seed, "bp_dropout");
  BpMlp net(mp, init_rng);
  const BpCost train_cost = bp_training_cost(mp, p.batch);
  const BpCost infer_cost = bp_inference_cost(mp.sizes, p.batch);

  const int batches_per_epoch = (train.size() + p.batch - 1) / p.batch;
  const long long total_steps = static_cast<long long>(batches_per_epoch) * p.epochs;
  long long step = 0;
  Mat xb(p.batch, train.features());
  std::vector<int> yb;
  yb.reserve(static_cast<std::size_t>(p.batch));

  Progress progress(p.progress_label, p.epochs);
  progress.follow(run);
  nlohmann::json curve = nlohmann::json::array();
  double train_s = 0;
  for (int epoch = 1; epoch <= p.epochs; ++epoch) {
    const std::vector<int> order =
        shuffled_indices(train.size(), stream_seed(seed, "bp_epoch", static_cast<std::uint64_t>(epoch)));
    double loss_sum = 0;
    long long errors = 0;
    const float lr_start = p.lr * lr_factor(schedule, static_cast<double>(step) / static_cast<double>(total_steps));
    Stopwatch epoch_clock;
    for (int start = 0; start < train.size(); start += p.batch) {
      const int n = std::min(p.batch, train.size() - start);
      gather_examples(train, order.data() + start, n, xb, yb);
      const float lr = p.lr * lr_factor(schedule, static_cast<double>(step) / static_cast<double>(total_steps));
      const BpStepResult r = net.train_step(xb.topRows(n), yb, lr, dropout_rng);
      loss_sum += static_cast<double>(r.loss) * n;
      errors += r.errors;
      ++step;
    }
    const double epoch_s = epoch_clock.seconds();
    train_s += epoch_s;
    Stopwatch eval_clock;
    const Evaluation val = evaluate(net, data.validation);
    const Evaluation tst = evaluate(net, test);
    const double eval_s = eval_clock.seconds();
    if (run != nullptr) run->finished(p.progress_label, epoch_s + eval_s);
    const double loss = loss_sum / train.size();
    const double batch_err = static_cast<double>(errors) / train.size();
    // Test error per epoch is recorded for the learning curve only; nothing is selected on it: the
    // reported test error is the last epoch's.
    curve.push_back({{"epoch", epoch},
                     {"lr", lr_start},
                     {"train_loss", loss},
                     {"train_batch_error", batch_err},
                     {"validation_error", val.error},
                     {"validation_loss", val.loss},
                     {"test_error", tst.error},
                     {"test_loss", tst.loss},
                     {"train_s", epoch_s},
                     {"eval_s", eval_s}});
    const std::string val_text = data.validation.size() > 0 ? fmt::format(" | val err {:.2f}%", 100 * val.error) : "";
    progress.report(epoch, fmt::format("loss {:.4f} | train err {:.2f}%{} | test err {:.2f}% | lr {:.4g} | {:.1f} s train",
                                       loss, 100 * batch_err, val_text, 100 * tst.error, lr_start, epoch_s));
  }
  progress.finish();

  const Evaluation tr = evaluate(net, train);
  const Evaluation val = evaluate(net, data.validation);
  const Evaluation tst = evaluate(net, test);
  const double train_samples = static_cast<double>(train.size()) * p.epochs;
  const double train_flops = train_cost.total().flops() * train_samples;
  nlohmann::json metrics = {{"train_examples", train.size()},
          {"validation_examples", data.validation.size()},
          {"test_examples", test.size()},
          {"sizes", mp.sizes},
          {"parameters", net.parameter_count()},
          {"epochs", p.epochs},
          {"train_error", tr.error},
          {"train_loss", tr.loss},
          {"validation_error", val.error},
          {"test_error", tst.error},
          {"test_loss", tst.loss},
          {"test_accuracy", 1 - tst.error},
          {"curve", curve},
          {"cost_per_sample",
           {{"training", to_json(train_cost)},
            {"inference", to_json(infer_cost)},
            {"model",
             "fused kernels: weights read once per batch and product, gradients written and optimiser run "
             "once per batch (per-sample share = per-batch / batch); activities and deltas once per "
             "sample; float32; dropout random numbers not counted"}}},
          {"cost_of_run",
           {{"training_samples", train_samples},
            {"training_flops", train_flops},
            {"training_bytes", train_cost.total().bytes() * train_samples},
            {"sustained_gflops", train_flops / train_s / 1e9}}},
          {"timing_s",
           {{"load", load_s},
            {"train", train_s},
            {"train_per_epoch", train_s / p.epochs},
            {"total", total.seconds()}}}};
  if (trained) *trained = std::make_unique<BpMlp>(std::move(net));
  return metrics;
}

}  // namespace mortal
