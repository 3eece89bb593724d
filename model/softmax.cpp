#include "model/softmax.h"

#include <cmath>

#include "core/error.h"

namespace mortal {

void SoftmaxParams::validate() const {
  check_positive("softmax.lr", lr);
  check_probability("softmax.momentum", momentum);
  check_nonnegative("softmax.weight_decay", weight_decay);
}

SoftmaxClassifier::SoftmaxClassifier(int features, int classes, SoftmaxParams params)
    : params_(params),
      w_(Mat::Zero(classes, features)),
      vw_(Mat::Zero(classes, features)),
      b_(RowVec::Zero(classes)),
      vb_(RowVec::Zero(classes)) {
  require(features > 0, "softmax features must be positive, got {}", features);
  require(classes >= 2, "softmax classes must be at least 2, got {}", classes);
  params_.validate();
}

void SoftmaxClassifier::save(Checkpoint& c, const std::string& prefix) const {
  c.put(prefix + ".w", w_);
  c.put(prefix + ".vw", vw_);
  c.put(prefix + ".b", Mat(b_));
  c.put(prefix + ".vb", Mat(vb_));
}

void SoftmaxClassifier::restore(const Checkpoint& c, const std::string& prefix) {
  Mat b, vb;
  c.get(prefix + ".w", w_, w_.rows(), w_.cols());
  c.get(prefix + ".vw", vw_, vw_.rows(), vw_.cols());
  c.get(prefix + ".b", b, 1, b_.cols());
  c.get(prefix + ".vb", vb, 1, vb_.cols());
  b_ = b.row(0);
  vb_ = vb.row(0);
}

void SoftmaxClassifier::logits(MatRef out, ConstMatRef x) const {
  require(x.cols() == w_.cols(), "softmax input has {} features, expected {}", x.cols(), w_.cols());
  out.noalias() = x * w_.transpose();
  out.rowwise() += b_;
}

std::vector<int> SoftmaxClassifier::predict(ConstMatRef x) const {
  Mat z(x.rows(), w_.rows());
  logits(z, x);
  std::vector<int> pred(static_cast<std::size_t>(x.rows()));
  for (Eigen::Index i = 0; i < z.rows(); ++i) z.row(i).maxCoeff(&pred[static_cast<std::size_t>(i)]);
  return pred;
}

float SoftmaxClassifier::cross_entropy(MatRef probs, ConstMatRef logits, const std::vector<int>& labels) {
  double loss = 0;
  for (Eigen::Index i = 0; i < logits.rows(); ++i) {
    const float m = logits.row(i).maxCoeff();
    probs.row(i) = (logits.row(i).array() - m).exp();
    const float s = probs.row(i).sum();
    probs.row(i) /= s;
    const int y = labels[static_cast<std::size_t>(i)];
    loss -= static_cast<double>(logits(i, y) - m - std::log(s));
  }
  return static_cast<float>(loss / static_cast<double>(logits.rows()));
}

float SoftmaxClassifier::train_step(ConstMatRef x, const std::vector<int>& labels, float lr) {
  const Eigen::Index n = x.rows();
  require(static_cast<std::size_t>(n) == labels.size(), "softmax batch has {} rows but {} labels", n,
          labels.size());
  logits_.resize(n, w_.rows());
  probs_.resize(n, w_.rows());
  logits(logits_, x);
  const float loss = cross_entropy(probs_, logits_, labels);
  // d(mean loss)/d logits = (p - onehot) / n
  for (Eigen::Index i = 0; i < n; ++i) probs_(i, labels[static_cast<std::size_t>(i)]) -= 1.0f;
  probs_ /= static_cast<float>(n);
  const float mu = params_.momentum;
  vw_ = mu * vw_ - lr * (probs_.transpose() * x + params_.weight_decay * w_);
  vb_ = mu * vb_ - lr * probs_.colwise().sum();
  w_ += vw_;
  b_ += vb_;
  return loss;
}

double error_rate(const std::vector<int>& pred, const std::vector<int>& labels) {
  require(pred.size() == labels.size(), "error_rate: {} predictions for {} labels", pred.size(), labels.size());
  if (labels.empty()) return 0;
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) wrong += pred[i] != labels[i];
  return static_cast<double>(wrong) / static_cast<double>(labels.size());
}

}  // namespace mortal
