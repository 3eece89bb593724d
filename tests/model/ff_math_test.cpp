#include "model/ff_math.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace mortal;

TEST_CASE("goodness is the sum or the mean of squared activities", "[ff]") {
  Mat y(2, 3);
  y << 1, 2, 2, 0, 0, 3;
  Vec g(2);
  goodness(g, y, GoodnessKind::sum_squares);
  CHECK(g(0) == 9.0f);
  CHECK(g(1) == 9.0f);
  goodness(g, y, GoodnessKind::mean_squares);
  CHECK(g(0) == Approx(3.0f));
}

TEST_CASE("the default threshold is the number of units for the sum and 1 for the mean", "[ff]") {
  FFObjective obj;
  CHECK(obj.threshold(1000) == 1000.0f);
  obj.kind = GoodnessKind::mean_squares;
  CHECK(obj.threshold(1000) == 1.0f);
  obj.theta = 2;
  CHECK(obj.threshold(1000) == 2.0f);
}

TEST_CASE("p(positive) is one half at the threshold and min-ssq mirrors max-ssq", "[ff]") {
  FFObjective obj;
  const float theta = 10;
  CHECK(sigmoid(ff_logit(10, obj, theta)) == Approx(0.5));
  CHECK(sigmoid(ff_logit(12, obj, theta)) == Approx(1 / (1 + std::exp(-2.0))));
  FFObjective min = obj;
  min.min_ssq = true;
  CHECK(ff_logit(12, min, theta) == -ff_logit(12, obj, theta));
  Vec g(1), t(1);
  g << 12;
  t << 1;
  CHECK(ff_loss(g, t, obj, theta) == Approx(softplus(-2.0)));
  CHECK(ff_loss(g, t, min, theta) == Approx(softplus(2.0)));
}

TEST_CASE("the learning signal is the derivative of log p(correct) in the goodness", "[ff]") {
  FFObjective obj;
  obj.temperature = 2;
  for (bool min : {false, true}) {
    obj.min_ssq = min;
    Vec g(4), t(4), c(4);
    g << 3, 9, 12, 20;
    t << 1, 0, 1, 0;
    learning_signal(c, g, t, obj, 10);
    for (int i = 0; i < 4; ++i) {
      const double h = 1e-3;
      Vec up = g, down = g;
      up(i) += static_cast<float>(h);
      down(i) -= static_cast<float>(h);
      // ff_loss is the mean of -log p over 4 rows
      const double numeric = -4 * (ff_loss(up, t, obj, 10) - ff_loss(down, t, obj, 10)) / (2 * h);
      CHECK(c(i) == Approx(numeric).margin(1e-3));
    }
  }
}

namespace {
// The mean FF loss of a ReLU layer with weights w on inputs x.  x: (n, in), w: (units, in)
double layer_loss(const Mat& w, const Mat& x, const Vec& t, const FFObjective& obj, float theta) {
  Mat y = (x * w.transpose()).cwiseMax(0.0f);
  Vec g(x.rows());
  goodness(g, y, obj.kind);
  return ff_loss(g, t, obj, theta);
}
}  // namespace

TEST_CASE("the FF weight update is minus the loss gradient, checked by finite differences", "[ff]") {
  const int n = 6, in = 5, units = 4;
  Mat x(n, in), w(units, in);
  // Fixed values, away from ReLU kinks: every |z| is far above the finite-difference step.
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < in; ++k) x(i, k) = std::sin(1.0f + i * 1.7f + k * 0.9f);
  for (int j = 0; j < units; ++j)
    for (int k = 0; k < in; ++k) w(j, k) = 0.8f * std::cos(0.5f + j * 2.3f + k * 1.1f);
  Vec t(n);
  t << 1, 0, 1, 0, 1, 0;
  for (GoodnessKind kind : {GoodnessKind::sum_squares, GoodnessKind::mean_squares})
    for (bool min : {false, true}) {
      FFObjective obj;
      obj.kind = kind;
      obj.min_ssq = min;
      const float theta = kind == GoodnessKind::sum_squares ? 1.0f : 0.3f;
      Mat y = (x * w.transpose()).cwiseMax(0.0f), d(n, units);
      Vec g(n), c(n);
      goodness(g, y, kind);
      learning_signal(c, g, t, obj, theta);
      ff_delta(d, c, y, kind, 1.0f / n);
      const Mat step = d.transpose() * x;  // W += lr step descends the mean loss
      double worst = 0;
      for (int j = 0; j < units; ++j)
        for (int k = 0; k < in; ++k) {
          const float h = 1e-3f;
          Mat up = w, down = w;
          up(j, k) += h;
          down(j, k) -= h;
          const double numeric = -(layer_loss(up, x, t, obj, theta) - layer_loss(down, x, t, obj, theta)) / (2 * h);
          worst = std::max(worst, std::abs(numeric - step(j, k)));
          CHECK(step(j, k) == Approx(numeric).margin(2e-3));
        }
      INFO("largest difference " << worst);
    }
}

TEST_CASE("normalisation leaves unit mean square or unit length and keeps the direction", "[ff]") {
  Mat y(2, 4), out(2, 4);
  y << 1, 2, 3, 4, 0, 0, 5, 0;
  normalise_rows(out, y, NormKind::rms, 0);
  CHECK(out.row(0).squaredNorm() / 4 == Approx(1));
  CHECK(out(1, 2) == Approx(2));  // rms of (0, 0, 5, 0) is 2.5
  normalise_rows(out, y, NormKind::l2, 0);
  CHECK(out.row(0).norm() == Approx(1));
  CHECK(out(0, 3) / out(0, 0) == Approx(4));
  normalise_rows(y, y, NormKind::l2, 0);  // in place
  CHECK(y.isApprox(out));
}
