#include "sim/chip_periphery.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace mortal {

namespace {
// A (rows, 1) matrix over a vector's storage: the chip's units take batches as matrices.
Eigen::Map<Mat> column(VecRef v) { return Eigen::Map<Mat>(v.data(), v.size(), 1); }
}  // namespace

ChipPeriphery::ChipPeriphery(hw::Chip& chip, int k, const FFObjective& objective, float theta, hw::FastRng& rng)
    : chip_(&chip), k_(k), objective_(objective), theta_(theta), rng_(&rng) {}

void ChipPeriphery::rectify(MatRef y) {
  chip_->relu(k_).apply(y, y, *rng_);
  ns_ += chip_->relu(k_).time_ns(int(y.rows()));
}

void ChipPeriphery::integrate(ConstMatRef y, VecRef g) {
  Eigen::Map<Mat> sum = column(g);
  chip_->goodness(k_).apply(sum, y, *rng_);
  if (objective_.kind == GoodnessKind::mean_squares) g *= 1.0f / float(y.cols());
  ns_ += chip_->goodness(k_).time_ns(int(y.rows()));
}

void ChipPeriphery::damp(MatRef y, ConstMatRef x, float keep) {
  chip_->damping(k_).apply(y, x, keep, *rng_);
  ns_ += chip_->damping(k_).time_ns(int(y.rows()));
}

void ChipPeriphery::probability(VecRef p, ConstVecRef g) {
  const int rows = int(g.size());
  const float sign = objective_.sign();
  scaled_ = (sign / objective_.temperature) * g;
  Eigen::Map<Mat> out = column(p);
  chip_->sigmoid(k_).apply(out, scaled_, sign * theta_ / objective_.temperature, *rng_);
  ns_ += chip_->sigmoid(k_).time_ns(rows);
}

double ChipPeriphery::cross_entropy(ConstVecRef p, ConstVecRef, ConstVecRef target) const {
  const int rows = int(p.size());
  double loss = 0;
  for (int i = 0; i < rows; ++i) {
    const double pr = std::clamp(double(p(i)), 1e-7, 1 - 1e-7);
    const double t = target(i);  // 1 or 0 for labelled data: the log of the other term is not added
    loss -= t == 1 ? std::log(pr) : t == 0 ? std::log(1 - pr) : t * std::log(pr) + (1 - t) * std::log(1 - pr);
  }
  return loss;
}

void ChipPeriphery::normalise(MatRef out, ConstMatRef y) {
  chip_->normaliser(k_).apply(out, y, *rng_);
  ns_ += chip_->normaliser(k_).time_ns(int(y.rows()));
}

double ChipPeriphery::take_ns() { return std::exchange(ns_, 0.0); }

}  // namespace mortal
