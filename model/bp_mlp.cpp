#include "model/bp_mlp.h"

#include <boost/random/normal_distribution.hpp>
#include <boost/random/uniform_01.hpp>

#include <cmath>

#include "core/error.h"
#include "model/softmax.h"

namespace mortal {

BpOptimizer parse_bp_optimizer(const std::string& name) {
  if (name == "sgd") return BpOptimizer::sgd;
  if (name == "adam") return BpOptimizer::adam;
  fail("optimizer must be sgd or adam, got '{}'", name);
}

LrSchedule parse_lr_schedule(const std::string& name) {
  if (name == "constant") return LrSchedule::constant;
  if (name == "linear") return LrSchedule::linear;
  if (name == "half-linear") return LrSchedule::half_linear;
  if (name == "cosine") return LrSchedule::cosine;
  fail("lr-schedule must be constant, linear, half-linear or cosine, got '{}'", name);
}

std::string to_string(BpOptimizer o) { return o == BpOptimizer::sgd ? "sgd" : "adam"; }

std::string to_string(LrSchedule s) {
  switch (s) {
    case LrSchedule::constant: return "constant";
    case LrSchedule::linear: return "linear";
    case LrSchedule::half_linear: return "half-linear";
    case LrSchedule::cosine: return "cosine";
  }
  return "?";
}

float lr_factor(LrSchedule s, double progress) {
  const double t = std::min(1.0, std::max(0.0, progress));
  switch (s) {
    case LrSchedule::constant: return 1.0f;
    case LrSchedule::linear: return static_cast<float>(1 - t);
    case LrSchedule::half_linear: return static_cast<float>(t < 0.5 ? 1.0 : 2 * (1 - t));
    case LrSchedule::cosine: return static_cast<float>(0.5 * (1 + std::cos(M_PI * t)));
  }
  return 1.0f;
}

void BpMlpParams::validate() const {
  require(sizes.size() >= 2, "bp.sizes needs at least an input and an output size, got {} sizes",
          sizes.size());
  for (std::size_t i = 0; i < sizes.size(); ++i)
    require(sizes[i] >= 1, "bp.sizes[{}] must be positive, got {}", i, sizes[i]);
  require(sizes.back() >= 2, "bp.sizes: the output needs at least 2 classes, got {}", sizes.back());
  check_probability("momentum", momentum);
  require(momentum < 1, "momentum must be below 1, got {}", momentum);
  check_nonnegative("weight-decay", weight_decay);
  check_probability("adam-beta1", adam_beta1);
  require(adam_beta1 < 1, "adam-beta1 must be below 1, got {}", adam_beta1);
  check_probability("adam-beta2", adam_beta2);
  require(adam_beta2 < 1, "adam-beta2 must be below 1, got {}", adam_beta2);
  check_positive("adam-eps", adam_eps);
  check_probability("dropout-input", dropout_input);
  require(dropout_input < 1, "dropout-input must be below 1, got {}", dropout_input);
  check_probability("dropout-hidden", dropout_hidden);
  require(dropout_hidden < 1, "dropout-hidden must be below 1, got {}", dropout_hidden);
  require(max_batch >= 1, "batch must be at least 1, got {}", max_batch);
}

BpMlp::BpMlp(BpMlpParams params, Rng& init_rng) : params_(std::move(params)) {
  params_.validate();
  const int L = params_.layers();
  const Eigen::Index B = params_.max_batch;
  const bool adam = params_.optimizer == BpOptimizer::adam;
  for (int l = 0; l < L; ++l) {
    const int in = params_.sizes[static_cast<std::size_t>(l)];
    const int out = params_.sizes[static_cast<std::size_t>(l) + 1];
    boost::random::normal_distribution<float> normal(0.0f, std::sqrt(2.0f / static_cast<float>(in)));
    Mat w(out, in);
    for (Eigen::Index i = 0; i < w.size(); ++i) w.data()[i] = normal(init_rng);
    w_.push_back(std::move(w));
    b_.push_back(RowVec::Zero(out));
    gw_.push_back(Mat::Zero(out, in));
    gb_.push_back(RowVec::Zero(out));
    w_state1_.push_back(Mat::Zero(out, in));
    b_state1_.push_back(RowVec::Zero(out));
    w_state2_.push_back(adam ? Mat::Zero(out, in) : Mat());
    b_state2_.push_back(adam ? RowVec::Zero(out) : RowVec());
    act_.push_back(Mat::Zero(B, in));
    delta_.push_back(Mat::Zero(B, out));
  }
  logits_ = Mat::Zero(B, params_.sizes.back());
  probs_ = Mat::Zero(B, params_.sizes.back());
}

long long BpMlp::parameter_count() const {
  long long n = 0;
  for (std::size_t l = 0; l < w_.size(); ++l) n += w_[l].size() + b_[l].size();
  return n;
}

void BpMlp::apply_dropout(MatRef a, float p, Rng& rng) {
  // Inverted dropout: survivors are scaled by 1 / (1 - p) so inference needs no rescaling. A dropped
  // unit's activity is 0, so the backward pass finds the mask again from act > 0 without storing it.
  if (p <= 0) return;
  const float keep_scale = 1.0f / (1.0f - p);
  boost::random::uniform_01<float> uniform;
  for (Eigen::Index i = 0; i < a.rows(); ++i)
    for (Eigen::Index j = 0; j < a.cols(); ++j) a(i, j) = uniform(rng) < p ? 0.0f : a(i, j) * keep_scale;
}

BpStepResult BpMlp::compute_gradients(ConstMatRef x, const std::vector<int>& labels, Rng& rng) {
  const Eigen::Index n = x.rows();
  const int L = params_.layers();
  require(n >= 1 && n <= params_.max_batch, "bp batch has {} rows; it must be 1 .. {}", n, params_.max_batch);
  require(x.cols() == params_.sizes[0], "bp input has {} features, expected {}", x.cols(), params_.sizes[0]);
  require(static_cast<std::size_t>(n) == labels.size(), "bp batch has {} rows but {} labels", n, labels.size());
  const int classes = params_.sizes.back();
  for (int y : labels) require(y >= 0 && y < classes, "bp label {} outside 0 .. {}", y, classes - 1);

  // Forward. act_[l]: (n, sizes[l]); the last layer writes logits_: (n, classes).
  act_[0].topRows(n) = x;
  apply_dropout(act_[0].topRows(n), params_.dropout_input, rng);
  for (int l = 0; l < L; ++l) {
    const auto ul = static_cast<std::size_t>(l);
    Mat& out = l + 1 < L ? act_[ul + 1] : logits_;
    auto z = out.topRows(n);
    z.noalias() = act_[ul].topRows(n) * w_[ul].transpose();
    z.rowwise() += b_[ul];
    if (l + 1 < L) {
      z = z.cwiseMax(0.0f);
      apply_dropout(z, params_.dropout_hidden, rng);
    }
  }
  BpStepResult result;
  result.loss = SoftmaxClassifier::cross_entropy(probs_.topRows(n), logits_.topRows(n), labels);
  for (Eigen::Index i = 0; i < n; ++i) {
    Eigen::Index best = 0;
    logits_.row(i).maxCoeff(&best);
    result.errors += best != labels[static_cast<std::size_t>(i)];
  }

  // Backward. d(mean loss)/d logits = (p - onehot) / n.
  auto top = delta_[static_cast<std::size_t>(L) - 1].topRows(n);
  top = probs_.topRows(n) / static_cast<float>(n);
  for (Eigen::Index i = 0; i < n; ++i) top(i, labels[static_cast<std::size_t>(i)]) -= 1.0f / static_cast<float>(n);
  for (int l = L - 1; l >= 0; --l) {
    const auto ul = static_cast<std::size_t>(l);
    const auto d = delta_[ul].topRows(n);
    const auto a = act_[ul].topRows(n);
    gw_[ul].noalias() = d.transpose() * a;  // gw: (out, in) = d^T (out, n) a (n, in)
    gb_[ul] = d.colwise().sum();
    if (l == 0) break;  // nothing learns from the gradient of the data
    // The input of layer l is the (dropped-out) ReLU output of layer l-1: its derivative is the
    // survivor scale where the activity is positive and zero elsewhere.
    auto below = delta_[ul - 1].topRows(n);
    below.noalias() = d * w_[ul];
    const float keep_scale = 1.0f / (1.0f - params_.dropout_hidden);
    below.array() = (a.array() > 0.0f).select(below.array() * keep_scale, 0.0f);
  }
  return result;
}

void BpMlp::apply_gradients(float lr) {
  ++steps_;
  const float wd = params_.weight_decay;
  if (params_.optimizer == BpOptimizer::sgd) {
    const float mu = params_.momentum;
    for (std::size_t l = 0; l < w_.size(); ++l) {
      w_state1_[l] = mu * w_state1_[l] + gw_[l] + wd * w_[l];
      w_[l] -= lr * w_state1_[l];
      b_state1_[l] = mu * b_state1_[l] + gb_[l];
      b_[l] -= lr * b_state1_[l];
    }
    return;
  }
  // Adam with the L2 weight cost in the gradient (Kingma & Ba 2015, as torch.optim.Adam).
  const float b1 = params_.adam_beta1, b2 = params_.adam_beta2, eps = params_.adam_eps;
  const float c1 = 1.0f - std::pow(b1, static_cast<float>(steps_));
  const float c2 = std::sqrt(1.0f - std::pow(b2, static_cast<float>(steps_)));
  const float step = lr / c1;
  for (std::size_t l = 0; l < w_.size(); ++l) {
    auto m = w_state1_[l].array();
    auto v = w_state2_[l].array();
    m = b1 * m + (1 - b1) * (gw_[l].array() + wd * w_[l].array());
    v = b2 * v + (1 - b2) * (gw_[l].array() + wd * w_[l].array()).square();
    w_[l].array() -= step * m / (v.sqrt() / c2 + eps);
    auto bm = b_state1_[l].array();
    auto bv = b_state2_[l].array();
    bm = b1 * bm + (1 - b1) * gb_[l].array();
    bv = b2 * bv + (1 - b2) * gb_[l].array().square();
    b_[l].array() -= step * bm / (bv.sqrt() / c2 + eps);
  }
}

BpStepResult BpMlp::train_step(ConstMatRef x, const std::vector<int>& labels, float lr, Rng& rng) {
  const BpStepResult r = compute_gradients(x, labels, rng);
  apply_gradients(lr);
  return r;
}

void BpMlp::logits(MatRef out, ConstMatRef x) const {
  require(x.cols() == params_.sizes[0], "bp input has {} features, expected {}", x.cols(), params_.sizes[0]);
  require(out.rows() == x.rows() && out.cols() == params_.sizes.back(),
          "bp logits buffer is {}x{}, expected {}x{}", out.rows(), out.cols(), x.rows(), params_.sizes.back());
  // In chunks, so the hidden activities of a whole data set never sit in memory at once.
  const Eigen::Index chunk = 1000;
  const int L = params_.layers();
  Mat a, z;
  for (Eigen::Index start = 0; start < x.rows(); start += chunk) {
    const Eigen::Index n = std::min(chunk, x.rows() - start);
    a = x.middleRows(start, n);
    for (int l = 0; l < L; ++l) {
      const auto ul = static_cast<std::size_t>(l);
      z.resize(n, w_[ul].rows());
      z.noalias() = a * w_[ul].transpose();
      z.rowwise() += b_[ul];
      if (l + 1 < L) {
        a = z.cwiseMax(0.0f);
      }
    }
    out.middleRows(start, n) = z;
  }
}

std::vector<int> BpMlp::predict(ConstMatRef x) const {
  Mat z(x.rows(), params_.sizes.back());
  logits(z, x);
  std::vector<int> pred(static_cast<std::size_t>(x.rows()));
  for (Eigen::Index i = 0; i < z.rows(); ++i) z.row(i).maxCoeff(&pred[static_cast<std::size_t>(i)]);
  return pred;
}

double BpMlp::loss(ConstMatRef x, const std::vector<int>& labels) const {
  require(static_cast<std::size_t>(x.rows()) == labels.size(), "bp loss: {} rows but {} labels", x.rows(),
          labels.size());
  Mat z(x.rows(), params_.sizes.back()), p(x.rows(), params_.sizes.back());
  logits(z, x);
  return SoftmaxClassifier::cross_entropy(p, z, labels);
}

}  // namespace mortal
