#include "model/ff_layer.h"

#include "core/error.h"

namespace mortal {

void FFLayerParams::validate() const {
  objective.validate();
  check_nonnegative("norm_eps", norm_eps);
  check_finite("bias_input", bias_input);
  check_nonnegative("peer_lambda", peer_lambda);
  require(peer_momentum >= 0 && peer_momentum < 1, "peer_momentum must be in [0, 1), got {}", peer_momentum);
  check_nonnegative("peer_initial", peer_initial);
}

FFLayer::FFLayer(std::unique_ptr<SynapticArray> array, FFLayerParams params)
    : params_(params), array_(std::move(array)) {
  require(array_ != nullptr, "FF layer needs a synaptic array");
  params_.validate();
  inputs_ = array_->inputs() - 1;
  units_ = array_->outputs();
  require(inputs_ >= 1, "FF layer array needs at least 2 inputs (data and bias), got {}", array_->inputs());
  theta_ = params_.objective.threshold(units_);
  mean_ = RowVec::Constant(units_, params_.peer_initial);
  pull_ = RowVec::Zero(units_);
}

void FFLayer::reserve(int rows) {
  if (rows <= capacity_) return;
  x_.resize(pair_ + rows, inputs_ + 1);
  x_.col(inputs_).setConstant(params_.bias_input);
  if (pair_ > 0) {
    x_.topRows(pair_).setZero();
    x_.topLeftCorner(pair_, pair_).setIdentity();
  }
  y_.resize(pair_ + rows, units_);
  d_.resize(pair_ + rows, units_);
  g_.resize(rows);
  c_.resize(rows);
  capacity_ = rows;
}

MatRef FFLayer::input(int rows) {
  require(rows >= 1, "FF layer input needs at least one row, got {}", rows);
  reserve(rows);
  rows_ = rows;
  return x_.block(pair_, 0, rows, inputs_);
}

void FFLayer::pair_negatives(int columns) {
  require(columns >= 0 && columns <= inputs_, "pair_negatives: {} columns of a {}-input layer", columns, inputs_);
  pair_ = columns;
  capacity_ = 0;  // the buffers move down by the new number of unit rows; inputs written so far are gone
  rows_ = 0;
}

void FFLayer::set_running_mean(const RowVec& mean) {
  require(mean.size() == units_, "peer running means: got {} values, the layer has {} units", mean.size(), units_);
  require(mean.allFinite(), "peer running means of a {}-unit layer hold a non-finite value", units_);
  mean_ = mean;
}

void FFLayer::forward() {
  require(rows_ > 0, "FF layer forward before any input");
  auto y = y_.middleRows(pair_, rows_);
  array_->forward(y, x_.middleRows(pair_, rows_));
  relu(y, y);
  mortal::goodness(g_.head(rows_), y, params_.objective.kind);
}

FFStepStats FFLayer::signal_and_delta(ConstVecRef target, float scale) {
  auto y = y_.middleRows(pair_, rows_);
  auto d = d_.middleRows(pair_, rows_);
  // One pass per row, while the row is in cache: relu, goodness, learning signal and delta. The same
  // arithmetic as relu(), goodness(), learning_signal() and ff_delta() (a test holds them equal).
  const FFObjective& obj = params_.objective;
  const bool mean = obj.kind == GoodnessKind::mean_squares;
  const float per_unit = mean ? 1.0f / static_cast<float>(units_) : 1.0f;
  const float k_signal = obj.sign() / obj.temperature, k_delta = 2 * scale * per_unit;
  FFStepStats s;
  for (int i = 0; i < rows_; ++i) {
    auto yr = y.row(i);
    yr = yr.cwiseMax(0.0f);
    const float gi = mean ? yr.squaredNorm() / static_cast<float>(units_) : yr.squaredNorm();
    g_(i) = gi;
    const double a = ff_logit(gi, obj, theta_);
    const bool positive = target(i) > 0.5f;
    s.loss += positive ? softplus(-a) : softplus(a);
    if (positive) {
      s.goodness_pos += gi;
      ++s.positives;
    } else {
      s.goodness_neg += gi;
      ++s.negatives;
    }
    c_(i) = k_signal * (target(i) - static_cast<float>(sigmoid(a)));
    d.row(i) = (k_delta * c_(i)) * yr;
  }
  s.loss /= rows_;
  if (s.positives) s.goodness_pos /= s.positives;
  if (s.negatives) s.goodness_neg /= s.negatives;
  if (params_.peer_lambda > 0)
    peer_normalise(d, mean_, pull_, y, target, params_.peer_lambda, params_.peer_momentum, scale);
  return s;
}

FFStepStats FFLayer::train(ConstVecRef target, float lr, float scale) {
  require(target.size() == rows_, "FF train: {} targets for {} input rows", target.size(), rows_);
  const int k = pair_;
  if (k == 0 || rows_ % 2 != 0) {
    array_->forward(y_.middleRows(k, rows_), x_.middleRows(k, rows_));
    const FFStepStats s = signal_and_delta(target, scale);
    array_->update(x_.middleRows(k, rows_), d_.middleRows(k, rows_), lr);
    return s;
  }
  // Paired: x_ = [E; P; N] with E the k unit rows, N = P + delta in the first k columns.
  const int n = rows_ / 2;
  delta_.noalias() = x_.block(k + n, 0, n, k) - x_.block(k, 0, n, k);
  // [E; P] W^T gives the k columns' weights (transposed) and the positives' outputs in one product.
  array_->forward(y_.topRows(k + n), x_.topRows(k + n));
  y_.middleRows(k + n, n).noalias() = delta_ * y_.topRows(k);
  y_.middleRows(k + n, n) += y_.middleRows(k, n);
  const FFStepStats s = signal_and_delta(target, scale);
  // sum_i p_i^T P_i + n_i^T N_i = sum_i (p_i + n_i)^T P_i + sum_c (sum_i delta_ic n_i)^T e_c
  d_.topRows(k).noalias() = delta_.transpose() * d_.middleRows(k + n, n);
  d_.middleRows(k, n) += d_.middleRows(k + n, n);
  array_->update(x_.topRows(k + n), d_.topRows(k + n), lr);
  return s;
}

void FFLayer::normalised_activity(MatRef out) const {
  normalise_rows(out, y_.middleRows(pair_, rows_), params_.norm, params_.norm_eps);
}

}  // namespace mortal
