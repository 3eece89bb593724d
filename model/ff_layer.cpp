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
  x_.resize(rows, inputs_ + 1);
  x_.col(inputs_).setConstant(params_.bias_input);
  y_.resize(rows, units_);
  d_.resize(rows, units_);
  g_.resize(rows);
  c_.resize(rows);
  capacity_ = rows;
}

MatRef FFLayer::input(int rows) {
  require(rows >= 1, "FF layer input needs at least one row, got {}", rows);
  reserve(rows);
  rows_ = rows;
  return x_.topLeftCorner(rows, inputs_);
}

void FFLayer::set_running_mean(const RowVec& mean) {
  require(mean.size() == units_, "peer running means: got {} values, the layer has {} units", mean.size(), units_);
  require(mean.allFinite(), "peer running means of a {}-unit layer hold a non-finite value", units_);
  mean_ = mean;
}

void FFLayer::forward() {
  require(rows_ > 0, "FF layer forward before any input");
  auto y = y_.topRows(rows_);
  array_->forward(y, x_.topRows(rows_));
  relu(y, y);
  mortal::goodness(g_.head(rows_), y, params_.objective.kind);
}

FFStepStats FFLayer::train(ConstVecRef target, float lr, float scale) {
  require(target.size() == rows_, "FF train: {} targets for {} input rows", target.size(), rows_);
  auto y = y_.topRows(rows_);
  auto d = d_.topRows(rows_);
  array_->forward(y, x_.topRows(rows_));
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
  array_->update(x_.topRows(rows_), d, lr);
  return s;
}

void FFLayer::normalised_activity(MatRef out) const {
  normalise_rows(out, y_.topRows(rows_), params_.norm, params_.norm_eps);
}

}  // namespace mortal
