#include "model/ff_math.h"

#include <cmath>

#include "core/error.h"

namespace mortal {

std::string to_string(GoodnessKind kind) { return kind == GoodnessKind::mean_squares ? "mean" : "sum"; }
std::string to_string(NormKind kind) { return kind == NormKind::l2 ? "l2" : "rms"; }

GoodnessKind parse_goodness(const std::string& name) {
  if (name == "sum") return GoodnessKind::sum_squares;
  if (name == "mean") return GoodnessKind::mean_squares;
  fail("goodness must be sum or mean, got '{}'", name);
}

NormKind parse_norm(const std::string& name) {
  if (name == "rms") return NormKind::rms;
  if (name == "l2") return NormKind::l2;
  fail("normalisation must be rms or l2, got '{}'", name);
}

void FFObjective::validate() const {
  check_finite("theta", theta);
  check_positive("temperature", temperature);
}

float FFObjective::threshold(int units) const {
  if (theta > 0) return theta;
  return kind == GoodnessKind::sum_squares ? static_cast<float>(units) : 1.0f;
}

void goodness(VecRef g, ConstMatRef y, GoodnessKind kind) {
  g = y.rowwise().squaredNorm();
  if (kind == GoodnessKind::mean_squares) g /= static_cast<float>(y.cols());
}

double softplus(double x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }

double sigmoid(double x) {
  if (x >= 0) return 1 / (1 + std::exp(-x));
  const double e = std::exp(x);
  return e / (1 + e);
}

double ff_loss(ConstVecRef g, ConstVecRef target, const FFObjective& obj, float theta) {
  double sum = 0;
  for (Eigen::Index i = 0; i < g.size(); ++i) {
    const double a = ff_logit(g(i), obj, theta);
    sum += target(i) > 0.5f ? softplus(-a) : softplus(a);
  }
  return g.size() ? sum / static_cast<double>(g.size()) : 0;
}

void learning_signal(VecRef c, ConstVecRef g, ConstVecRef target, const FFObjective& obj, float theta) {
  const float k = obj.sign() / obj.temperature;
  for (Eigen::Index i = 0; i < g.size(); ++i)
    c(i) = k * (target(i) - static_cast<float>(sigmoid(ff_logit(g(i), obj, theta))));
}

void ff_delta(MatRef d, ConstVecRef c, ConstMatRef y, GoodnessKind kind, float scale) {
  float k = 2 * scale;
  if (kind == GoodnessKind::mean_squares) k /= static_cast<float>(y.cols());
  d.array() = y.array().colwise() * (k * c.array());
}

void peer_normalise(MatRef d, RowVec& mean, RowVec& pull, ConstMatRef y, ConstVecRef target, float lambda, float mu,
                    float scale) {
  pull.setZero(y.cols());
  int positives = 0;
  for (Eigen::Index i = 0; i < y.rows(); ++i)
    if (target(i) > 0.5f) {
      pull += y.row(i);
      ++positives;
    }
  if (positives == 0) return;
  mean = mu * mean + ((1 - mu) / static_cast<float>(positives)) * pull;
  pull = (lambda * scale) * (RowVec::Constant(y.cols(), mean.mean()) - mean);
  for (Eigen::Index i = 0; i < y.rows(); ++i)
    if (target(i) > 0.5f) d.row(i) += pull;
}

void normalise_rows(MatRef out, ConstMatRef y, NormKind kind, float eps) {
  const float n = kind == NormKind::rms ? static_cast<float>(y.cols()) : 1.0f;
  for (Eigen::Index i = 0; i < y.rows(); ++i) {
    const float len = std::sqrt(y.row(i).squaredNorm() / n);
    out.row(i) = y.row(i) * (1.0f / (len + eps));
  }
}

void relu(MatRef y, ConstMatRef z) { y = z.cwiseMax(0.0f); }

}  // namespace mortal
