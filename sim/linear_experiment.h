#pragma once
// Linear softmax classifier on MNIST: the simplest honest end-to-end run (data, training, evaluation,
// results file). A linear model gets about 92% of the 10,000 test images right.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

#include "sim/cli.h"

namespace CLI {
class App;
}  // namespace CLI

namespace mortal {

struct LinearParams {
  std::string data_dir;  // default: default_data_dir()
  int epochs = 10;
  int batch = 100;
  float lr = 0.05f;
  float momentum = 0.9f;
  int validation = 10000;  // training images held out to measure while training
  std::uint64_t validation_seed = 1;  // the held-out images depend on it alone, not on the run's seed
  int train_limit = 0;     // use only this many training images (0: all), for smoke runs
  int test_limit = 0;      // evaluate on only this many test images (0: all 10,000), for smoke runs

  void add_options(CLI::App& app);
  void validate() const;
};

// Trains and evaluates; returns the metrics section of the results file.
nlohmann::json run_linear(const LinearParams& p, std::uint64_t seed);

}  // namespace mortal
