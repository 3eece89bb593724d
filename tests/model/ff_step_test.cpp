#include "model/ff_step.h"

#include <catch2/catch.hpp>

#include <cmath>

#include "model/ff_math.h"

using namespace mortal;

namespace {

// A periphery whose sigmoid unit reads the goodness with a gain of 2 and an offset of -0.5: the step must
// learn from the probability the circuit gave, not from the ideal one.
class SkewedPeriphery final : public FFPeriphery {
 public:
  explicit SkewedPeriphery(float theta) : theta_(theta) {}
  void rectify(MatRef y) override { relu(y, y); }
  void integrate(ConstMatRef y, VecRef g) override { goodness(g, y, GoodnessKind::sum_squares); }
  void damp(MatRef y, ConstMatRef x, float keep) override { y = keep * y + (1 - keep) * x; }
  void probability(VecRef p, ConstVecRef g) override {
    for (Eigen::Index i = 0; i < g.size(); ++i) p(i) = float(sigmoid(2.0 * (g(i) - theta_) - 0.5));
  }
  double cross_entropy(ConstVecRef p, ConstVecRef, ConstVecRef target) const override {
    double sum = 0;
    for (Eigen::Index i = 0; i < p.size(); ++i) sum -= target(i) * std::log(p(i)) + (1 - target(i)) * std::log(1 - p(i));
    return sum;
  }
  void normalise(MatRef out, ConstMatRef y) override { out = y; }

 private:
  float theta_;
};

Mat some_outputs() {
  Mat z(4, 3);
  z << 1.0f, -0.5f, 0.8f,  //
      0.2f, 0.4f, -1.0f,   //
      -0.3f, 1.2f, 0.6f,   //
      0.9f, 0.1f, 0.5f;
  return z;
}

}  // namespace

TEST_CASE("the FF step learns from the probability its periphery gives", "[ff]") {
  FFLayerParams lp;
  lp.objective.theta = 1.0f;
  SkewedPeriphery io(1.0f);
  Mat y = some_outputs(), d(4, 3);
  const Mat z = y;
  Vec g(4), p(4), c(4), t(4);
  t << 1, 0, 0.7f, 0;  // a soft target too
  PeerState peer(3, lp.peer_initial);
  const FFStepStats s = ff_step(io, lp, y, g, p, c, d, t, 0.25f, peer);
  double loss = 0;
  for (int i = 0; i < 4; ++i) {
    const Eigen::RowVectorXf relu_z = z.row(i).cwiseMax(0.0f);
    const float gi = relu_z.squaredNorm();
    const float pi = float(sigmoid(2.0 * (gi - 1.0) - 0.5));
    CHECK(y.row(i) == relu_z);
    CHECK(g(i) == Approx(gi));
    CHECK(p(i) == Approx(pi));
    CHECK(c(i) == Approx(t(i) - pi));  // s = 1, T = 1
    for (int j = 0; j < 3; ++j) CHECK(d(i, j) == Approx(2 * 0.25f * (t(i) - pi) * relu_z(j)));
    loss -= t(i) * std::log(pi) + (1 - t(i)) * std::log(1 - pi);
  }
  CHECK(s.loss == Approx(loss / 4));
  // Rows with target above one half count as positive: rows 0 and 2.
  CHECK(s.positives == 2);
  CHECK(s.negatives == 2);
  CHECK(s.goodness_pos == Approx((g(0) + g(2)) / 2));
  CHECK(s.goodness_neg == Approx((g(1) + g(3)) / 2));
}

TEST_CASE("the FF step's mean goodness, temperature and min-ssq scale the signal and delta", "[ff]") {
  FFLayerParams lp;
  lp.objective.kind = GoodnessKind::mean_squares;
  lp.objective.temperature = 2.0f;
  lp.objective.min_ssq = true;
  const float theta = lp.objective.threshold(3);
  ExactPeriphery io(lp, theta);
  Mat y = some_outputs(), d(4, 3);
  Vec g(4), p(4), c(4), t(4);
  t << 1, 0, 1, 0;
  PeerState peer(3, lp.peer_initial);
  ff_step(io, lp, y, g, p, c, d, t, 0.5f, peer);
  for (int i = 0; i < 4; ++i) {
    const double a = -(double(g(i)) - theta) / 2.0;  // s (G - theta) / T with s = -1
    CHECK(p(i) == Approx(sigmoid(a)));
    CHECK(c(i) == Approx(-(t(i) - sigmoid(a)) / 2.0));
    for (int j = 0; j < 3; ++j) CHECK(d(i, j) == Approx(2 * 0.5f / 3 * c(i) * y(i, j)));
  }
}

TEST_CASE("the exact periphery's loss stays exact where p rounds to 1", "[ff]") {
  FFLayerParams lp;
  ExactPeriphery io(lp, 1.0f);
  Vec g(2), p(2), t(2);
  g << 60, 60;  // logit 59: p is 1 in float
  t << 1, 0;
  io.probability(p, g);
  CHECK(p(1) == 1.0f);
  CHECK(io.cross_entropy(p, g, t) == Approx(softplus(-59.0) + softplus(59.0)));
}

TEST_CASE("peer normalisation pushes the positive rows' delta toward the layer's mean activity", "[ff]") {
  FFLayerParams lp;
  lp.objective.theta = 1.0f;
  lp.peer_lambda = 0.03f;
  ExactPeriphery io(lp, 1.0f);
  Mat y = some_outputs(), d(4, 3), y_off = some_outputs(), d_off(4, 3);
  Vec g(4), p(4), c(4), t(4);
  t << 1, 0, 1, 0;
  PeerState peer(3, lp.peer_initial), unused(3, lp.peer_initial);
  ff_step(io, lp, y, g, p, c, d, t, 0.25f, peer);
  FFLayerParams off = lp;
  off.peer_lambda = 0;
  ExactPeriphery io_off(off, 1.0f);
  ff_step(io_off, off, y_off, g, p, c, d_off, t, 0.25f, unused);
  // mean = mu m0 + (1 - mu) (mean of the positive rows' activity); push = lambda scale (mean(mean) - mean)
  const RowVec positive_mean = (y.row(0) + y.row(2)) / 2;
  const RowVec mean = 0.9f * RowVec::Constant(3, 0.5f) + 0.1f * positive_mean;
  CHECK(peer.mean.isApprox(mean));
  const RowVec push = (0.03f * 0.25f) * (RowVec::Constant(3, mean.mean()) - mean);
  CHECK((d.row(0) - d_off.row(0)).isApprox(push, 1e-4f));
  CHECK((d.row(1) - d_off.row(1)).cwiseAbs().maxCoeff() == 0.0f);
  CHECK(unused.mean == RowVec::Constant(3, 0.5f));
}
