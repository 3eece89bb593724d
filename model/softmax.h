#pragma once
// Linear softmax classifier (multinomial logistic regression): logits = x W^T + b. Used on its own as the
// simplest honest MNIST baseline, and as the read-out that FF trains on normalised hidden activities.
#include <vector>

#include "core/checkpoint.h"
#include "core/tensor.h"

namespace mortal {

struct SoftmaxParams {
  float lr = 0.1f;          // SGD step on the mean loss of a mini-batch
  float momentum = 0.9f;
  float weight_decay = 0.0f;
  void validate() const;
};

class SoftmaxClassifier {
 public:
  SoftmaxClassifier(int features, int classes, SoftmaxParams params);

  // logits: (batch, classes); x: (batch, features)
  void logits(MatRef out, ConstMatRef x) const;
  std::vector<int> predict(ConstMatRef x) const;

  // One SGD step on the mean cross-entropy of the batch; returns that loss (before the step).
  float train_step(ConstMatRef x, const std::vector<int>& labels, float lr);

  // Mean cross-entropy and the gradients of it. probs: (batch, classes) softmax output.
  static float cross_entropy(MatRef probs, ConstMatRef logits, const std::vector<int>& labels);

  const Mat& weights() const { return w_; }
  const RowVec& bias() const { return b_; }
  const SoftmaxParams& params() const { return params_; }

  // Weights, bias and their velocities under `prefix`; restore refuses another shape.
  void save(Checkpoint& c, const std::string& prefix) const;
  void restore(const Checkpoint& c, const std::string& prefix);

 private:
  SoftmaxParams params_;
  Mat w_, vw_;         // (classes, features) and its velocity
  RowVec b_, vb_;      // (classes)
  Mat logits_, probs_; // scratch, resized on the first step of a batch size
};

// Fraction of `pred` that differs from `labels`.
double error_rate(const std::vector<int>& pred, const std::vector<int>& labels);

}  // namespace mortal
