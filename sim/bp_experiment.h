#pragma once
// The backprop baseline on MNIST: an MLP of ReLU layers trained by BP on the same data pipeline as FF
// (Dataset, validation split from its own seed, shuffles from the run's), with its FLOP and memory-traffic counts.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/bp_cost.h"
#include "model/bp_mlp.h"
#include "sim/cli.h"
#include "sim/run_eta.h"

namespace CLI {
class App;
}  // namespace CLI

namespace mortal {

struct BpParams {
  std::string data_dir;                        // default: default_data_dir()
  std::vector<int> layers = {1000, 1000, 1000};  // hidden layer sizes (Hinton's FF net is 784-3x1000)
  int epochs = 30;
  int batch = 100;
  std::string optimizer = "sgd";
  float lr = 0.05f;
  std::string lr_schedule = "linear";
  float momentum = 0.9f;
  float weight_decay = 0.0f;
  float adam_beta1 = 0.9f;
  float adam_beta2 = 0.999f;
  float dropout_input = 0.0f;
  float dropout_hidden = 0.2f;  // light dropout regularises the wide net (Srivastava et al. 2014)
  int validation = 10000;  // training images held out to measure while training (0: train on all)
  std::uint64_t validation_seed = 1;  // the held-out images depend on it alone, not on the run's seed
  int train_limit = 0;     // use only this many training images (0: all), for smoke runs
  int test_limit = 0;      // evaluate on only this many test images (0: all 10,000), for smoke runs
  std::string progress_label = "epoch";  // what the progress lines count (an in-situ run's rival says so)

  void add_options(CLI::App& app);
  void validate() const;
  // The network for inputs of `features` values and `classes` labels.
  BpMlpParams model_params(int features, int classes) const;
};

nlohmann::json to_json(const BpWork& w);
nlohmann::json to_json(const BpCost& c);

// Trains and evaluates; returns the metrics section of the results file. Progress goes to stderr.
// `trained`, if given, receives the network (e.g. to program it onto a chip). With `run`, the epochs are the
// phase named p.progress_label of a longer run (an in-situ run's rival), timed there, and the progress
// line's ETA is the run's.
nlohmann::json run_bp(const BpParams& p, std::uint64_t seed, std::unique_ptr<BpMlp>* trained = nullptr,
                      RunEta* run = nullptr);

}  // namespace mortal
