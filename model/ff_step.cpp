#include "model/ff_step.h"

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

FFStepStats ff_step(FFPeriphery& io, const FFLayerParams& lp, MatRef y, VecRef g, VecRef p, VecRef c, MatRef d,
                    ConstVecRef target, float scale, PeerState& peer) {
  require(g.size() == y.rows(), "FF step: {} rows of output, {} goodness values", y.rows(), g.size());
  io.activate(y, g);
  return ff_step_activated(io, lp, y, g, p, c, d, target, scale, peer);
}

FFStepStats ff_step_activated(FFPeriphery& io, const FFLayerParams& lp, ConstMatRef y, ConstVecRef g, VecRef p,
                              VecRef c, MatRef d, ConstVecRef target, float scale, PeerState& peer) {
  const Eigen::Index rows = y.rows();
  require(rows > 0 && target.size() == rows && g.size() == rows && p.size() == rows && c.size() == rows &&
              d.rows() == rows && d.cols() == y.cols(),
          "FF step: {} rows of output, {} targets", rows, target.size());
  FFStepStats s;
  io.probability(p, g);
  s.loss = io.cross_entropy(p, g, target) / double(rows);
  const FFObjective& obj = lp.objective;
  const float per_unit = obj.kind == GoodnessKind::mean_squares ? 1.0f / float(y.cols()) : 1.0f;
  const float k_signal = obj.sign() / obj.temperature, k_delta = 2 * scale * per_unit;
  for (Eigen::Index i = 0; i < rows; ++i) {
    if (target(i) > 0.5f) {
      s.goodness_pos += g(i);
      ++s.positives;
    } else {
      s.goodness_neg += g(i);
      ++s.negatives;
    }
    c(i) = k_signal * (target(i) - p(i));
    d.row(i) = (k_delta * c(i)) * y.row(i);
  }
  if (s.positives) s.goodness_pos /= s.positives;
  if (s.negatives) s.goodness_neg /= s.negatives;
  if (lp.peer_lambda > 0)
    peer_normalise(d, peer.mean, peer.pull, y, target, lp.peer_lambda, lp.peer_momentum, scale);
  return s;
}

void ExactPeriphery::activate(MatRef y, VecRef g) {
  const bool mean = lp_.objective.kind == GoodnessKind::mean_squares;
  // One pass per row, while the row is in cache: the same arithmetic as relu() and goodness().
  for (Eigen::Index i = 0; i < y.rows(); ++i) {
    auto yr = y.row(i);
    yr = yr.cwiseMax(0.0f);
    g(i) = mean ? yr.squaredNorm() / float(y.cols()) : yr.squaredNorm();
  }
}

void ExactPeriphery::rectify(MatRef y) { y = y.cwiseMax(0.0f); }

void ExactPeriphery::integrate(ConstMatRef y, VecRef g) {
  const bool mean = lp_.objective.kind == GoodnessKind::mean_squares;
  for (Eigen::Index i = 0; i < y.rows(); ++i)
    g(i) = mean ? y.row(i).squaredNorm() / float(y.cols()) : y.row(i).squaredNorm();
}

void ExactPeriphery::damp(MatRef y, ConstMatRef x, float keep) { y = keep * y + (1 - keep) * x; }

void ExactPeriphery::probability(VecRef p, ConstVecRef g) {
  for (Eigen::Index i = 0; i < g.size(); ++i) p(i) = float(sigmoid(ff_logit(g(i), lp_.objective, theta_)));
}

double ExactPeriphery::cross_entropy(ConstVecRef, ConstVecRef g, ConstVecRef target) const {
  double loss = 0;
  for (Eigen::Index i = 0; i < g.size(); ++i) {
    const double a = ff_logit(g(i), lp_.objective, theta_), t = target(i);
    // -log p = softplus(-a), -log(1 - p) = softplus(a): no rounding of p near 0 or 1 enters the loss.
    loss += t == 1 ? softplus(-a) : t == 0 ? softplus(a) : t * softplus(-a) + (1 - t) * softplus(a);
  }
  return loss;
}

void ExactPeriphery::normalise(MatRef out, ConstMatRef y) { normalise_rows(out, y, lp_.norm, lp_.norm_eps); }

}  // namespace mortal
