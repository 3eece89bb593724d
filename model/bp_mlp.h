#pragma once
// A multilayer perceptron trained by backpropagation: the digital baseline that FF is compared against.
// ReLU hidden layers, a softmax cross-entropy output, mini-batch SGD with momentum (or Adam), an L2
// weight cost and optional inverted dropout. Float32 Eigen; every buffer a training step touches is
// allocated once, for the largest batch, when the network is built.
#include <string>
#include <vector>

#include "core/rng.h"
#include "core/tensor.h"

namespace mortal {

enum class BpOptimizer { sgd, adam };
enum class LrSchedule {
  constant,     // lr throughout
  linear,       // lr decays linearly to zero over the run
  half_linear,  // lr for the first half, then linear decay to zero (Hinton's FF schedule, ffnew.m)
  cosine,       // lr * (1 + cos(pi t)) / 2
};

BpOptimizer parse_bp_optimizer(const std::string& name);  // "sgd" or "adam"
LrSchedule parse_lr_schedule(const std::string& name);    // "constant", "linear", "half-linear", "cosine"
std::string to_string(BpOptimizer o);
std::string to_string(LrSchedule s);

// Factor on the base learning rate once the fraction `progress` (0 at the start, 1 at the end) of
// training is done.
float lr_factor(LrSchedule s, double progress);

struct BpMlpParams {
  std::vector<int> sizes;  // units per layer, input first, classes last: {784, 1000, 1000, 1000, 10}
  BpOptimizer optimizer = BpOptimizer::sgd;
  float momentum = 0.9f;       // SGD: v = momentum v + g; w -= lr v
  float weight_decay = 0.0f;   // L2 weight cost added to the gradient of every weight (not the biases)
  float adam_beta1 = 0.9f;     // Kingma & Ba 2015 defaults
  float adam_beta2 = 0.999f;
  float adam_eps = 1e-8f;
  float dropout_input = 0.0f;   // probability of dropping an input value while training
  float dropout_hidden = 0.0f;  // probability of dropping a hidden unit while training
  int max_batch = 100;          // training buffers hold this many rows

  int layers() const { return static_cast<int>(sizes.size()) - 1; }  // weight layers
  void validate() const;
};

struct BpStepResult {
  float loss = 0;  // mean cross-entropy of the batch, before the step
  int errors = 0;  // examples of the batch whose largest logit was not their label, before the step
};

class BpMlp {
 public:
  // Weights drawn from N(0, 2 / fan_in) (He et al. 2015, for ReLU), biases zero.
  BpMlp(BpMlpParams params, Rng& init_rng);

  // Forward and backward pass on a batch (training mode: dropout on): fills the gradients of the mean
  // cross-entropy. x: (batch, sizes[0]) with batch <= max_batch, labels: batch entries.
  BpStepResult compute_gradients(ConstMatRef x, const std::vector<int>& labels, Rng& rng);

  // One optimiser step with the gradients of the last compute_gradients.
  void apply_gradients(float lr);

  // compute_gradients, then apply_gradients.
  BpStepResult train_step(ConstMatRef x, const std::vector<int>& labels, float lr, Rng& rng);

  // Inference (no dropout). logits: (batch, classes); x: (batch, sizes[0]), any batch size.
  void logits(MatRef out, ConstMatRef x) const;
  std::vector<int> predict(ConstMatRef x) const;
  // Mean cross-entropy of the examples (inference mode).
  double loss(ConstMatRef x, const std::vector<int>& labels) const;

  const BpMlpParams& params() const { return params_; }
  long long parameter_count() const;

  // Layer l = 0 .. layers()-1 maps sizes[l] to sizes[l+1]. weights: (sizes[l+1], sizes[l]).
  Mat& weights(int l) { return w_[static_cast<std::size_t>(l)]; }
  const Mat& weights(int l) const { return w_[static_cast<std::size_t>(l)]; }
  RowVec& bias(int l) { return b_[static_cast<std::size_t>(l)]; }
  const RowVec& bias(int l) const { return b_[static_cast<std::size_t>(l)]; }
  const Mat& weight_gradient(int l) const { return gw_[static_cast<std::size_t>(l)]; }
  const RowVec& bias_gradient(int l) const { return gb_[static_cast<std::size_t>(l)]; }

 private:
  static void apply_dropout(MatRef a, float p, Rng& rng);

  BpMlpParams params_;
  std::vector<Mat> w_, gw_, w_state1_, w_state2_;    // weights, gradients, velocity or Adam m, Adam v
  std::vector<RowVec> b_, gb_, b_state1_, b_state2_;
  // Training buffers, max_batch rows each: act_[l] is the input of layer l (act_[0] the data),
  // delta_[l] the gradient of the loss with respect to layer l's pre-activation.
  std::vector<Mat> act_, delta_;
  Mat logits_, probs_;
  long long steps_ = 0;  // optimiser steps taken (Adam's bias correction)
};

}  // namespace mortal
