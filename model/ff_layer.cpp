#include "model/ff_layer.h"

#include "core/error.h"

namespace mortal {

namespace {
std::unique_ptr<SynapticArray> checked(std::unique_ptr<SynapticArray> array, const FFLayerParams& params) {
  require(array != nullptr, "FF layer needs a synaptic array");
  params.validate();
  require(array->inputs() >= 2, "FF layer array needs at least 2 inputs (data and bias), got {}", array->inputs());
  return array;
}
}  // namespace

FFLayer::FFLayer(std::unique_ptr<SynapticArray> array, FFLayerParams params)
    : params_(params),
      array_(checked(std::move(array), params)),
      inputs_(array_->inputs() - 1),
      units_(array_->outputs()),
      theta_(params_.objective.threshold(units_)),
      io_(params_, theta_),
      peer_(units_, params_.peer_initial) {}

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
  p_.resize(rows);
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
  peer_.mean = mean;
}

void FFLayer::forward() {
  require(rows_ > 0, "FF layer forward before any input");
  auto y = y_.middleRows(pair_, rows_);
  array_->forward(y, x_.middleRows(pair_, rows_));
  io_.activate(y, g_.head(rows_));
}

FFStepStats FFLayer::step(ConstVecRef target, float scale) {
  return ff_step(io_, params_, y_.middleRows(pair_, rows_), g_.head(rows_), p_.head(rows_), c_.head(rows_),
                 d_.middleRows(pair_, rows_), target, scale, peer_);
}

FFStepStats FFLayer::train(ConstVecRef target, float lr, float scale) {
  require(target.size() == rows_, "FF train: {} targets for {} input rows", target.size(), rows_);
  const int k = pair_;
  if (k == 0 || rows_ % 2 != 0) {
    array_->forward(y_.middleRows(k, rows_), x_.middleRows(k, rows_));
    const FFStepStats s = step(target, scale);
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
  const FFStepStats s = step(target, scale);
  // sum_i p_i^T P_i + n_i^T N_i = sum_i (p_i + n_i)^T P_i + sum_c (sum_i delta_ic n_i)^T e_c
  d_.topRows(k).noalias() = delta_.transpose() * d_.middleRows(k + n, n);
  d_.middleRows(k, n) += d_.middleRows(k + n, n);
  array_->update(x_.topRows(k + n), d_.topRows(k + n), lr);
  return s;
}

void FFLayer::normalised_activity(MatRef out) { io_.normalise(out, y_.middleRows(pair_, rows_)); }

}  // namespace mortal
