#include "sim/linear_experiment.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "core/error.h"
#include "model/dataset.h"
#include "model/softmax.h"
#include "sim/cli.h"
#include "sim/progress.h"
#include "sim/results.h"
#include "sim/run_data.h"

namespace mortal {

void LinearParams::add_options(CLI::App& app) {
  data_dir = default_data_dir();
  app.add_option("--data", data_dir, "Folder with the MNIST IDX files")->group("Data");
  app.add_option("--validation", validation, "Training images held out for validation")->group("Data");
  add_validation_seed_option(app, validation_seed, "Data");
  app.add_option("--train-limit", train_limit, "Use only this many training images (0: all)")->group("Data");
  app.add_option("--test-limit", test_limit, "Evaluate on only this many test images (0: all)")->group("Data");
  app.add_option("--epochs", epochs, "Passes over the training set")->group("Optimiser");
  app.add_option("--batch", batch, "Mini-batch size")->group("Optimiser");
  app.add_option("--lr", lr, "SGD learning rate")->group("Optimiser");
  app.add_option("--momentum", momentum, "SGD momentum")->group("Optimiser");
}

void LinearParams::validate() const {
  require(epochs >= 1, "epochs must be at least 1, got {}", epochs);
  require(batch >= 1, "batch must be at least 1, got {}", batch);
  check_positive("lr", lr);
  check_probability("momentum", momentum);
  require(validation >= 0, "validation must be >= 0, got {}", validation);
  require(train_limit >= 0, "train-limit must be >= 0, got {}", train_limit);
  require(test_limit >= 0, "test-limit must be >= 0, got {}", test_limit);
}

nlohmann::json run_linear(const LinearParams& p, std::uint64_t seed) {
  p.validate();
  Stopwatch total;
  const RunData data = load_run_data({p.data_dir, p.train_limit, p.test_limit, p.validation, p.validation_seed}, seed);
  const Dataset &train = data.train, &test = data.test;
  const double load_s = total.seconds();

  SoftmaxClassifier clf(train.features(), train.num_classes, SoftmaxParams{p.lr, p.momentum, 0.0f});
  Progress progress("epoch", p.epochs);
  nlohmann::json curve = nlohmann::json::array();
  Stopwatch train_clock;
  for (int epoch = 1; epoch <= p.epochs; ++epoch) {
    const std::vector<int> order = shuffled_indices(train.size(), seed + static_cast<std::uint64_t>(epoch));
    double loss_sum = 0;
    int batches = 0;
    for (int start = 0; start < train.size(); start += p.batch) {
      const int n = std::min(p.batch, train.size() - start);
      const Dataset b = train.subset(std::vector<int>(order.begin() + start, order.begin() + start + n));
      loss_sum += clf.train_step(b.images, b.labels, p.lr);
      ++batches;
    }
    const double val_err =
        data.validation.size() ? error_rate(clf.predict(data.validation.images), data.validation.labels) : NAN;
    const double loss = loss_sum / batches;
    // For the learning curve only (nothing is selected on them): prediction draws no random numbers.
    const double train_err = error_rate(clf.predict(train.images), train.labels);
    const double test_err = error_rate(clf.predict(test.images), test.labels);
    curve.push_back({{"epoch", epoch},
                     {"train_loss", loss},
                     {"train_error", train_err},
                     {"validation_error", val_err},
                     {"test_error", test_err}});
    progress.report(epoch, fmt::format("loss {:.4f} | val err {:.2f}%", loss, 100 * val_err));
  }
  progress.finish();
  const double train_s = train_clock.seconds();
  const double train_err = error_rate(clf.predict(train.images), train.labels);
  const double test_err = error_rate(clf.predict(test.images), test.labels);
  return {{"train_examples", train.size()},
          {"validation_examples", data.validation.size()},
          {"test_examples", test.size()},
          {"train_error", train_err},
          {"test_error", test_err},
          {"test_accuracy", 1 - test_err},
          {"curve", curve},
          {"timing_s", {{"load", load_s}, {"train", train_s}, {"total", total.seconds()}}}};
}

}  // namespace mortal
