#include "model/digital_array.h"

#include <catch2/catch.hpp>

#include <vector>

#include "core/error.h"

using namespace mortal;

namespace {
// One weight w = 2 with input 1 and gradient 3, stepped once at each rate: the weight after every step.
std::vector<float> one_weight_steps(const OptimiserParams& opt, const std::vector<float>& rates) {
  DigitalArray a(1, 1, opt);
  Mat w0(1, 1), x(1, 1), d(1, 1), w(1, 1);
  w0 << 2;
  x << 1;
  d << 3;
  a.write_weights(w0);
  std::vector<float> after;
  for (float lr : rates) {
    a.update(x, d, lr);
    a.read_weights(w);
    after.push_back(w(0, 0));
  }
  return after;
}

Mat small_weights() {
  Mat w(2, 3);
  w << 1, -2, 0.5f, 0, 3, -1;
  return w;
}
}  // namespace

TEST_CASE("a digital array computes x W^T and applies lr d^T x exactly", "[ff][array]") {
  DigitalArray a(2, 3);
  a.write_weights(small_weights());
  Mat x(1, 3), z(1, 2);
  x << 1, 1, 2;
  a.forward(z, x);
  CHECK(z(0, 0) == 0.0f);  // 1 - 2 + 1
  CHECK(z(0, 1) == 1.0f);  // 3 - 2
  Mat d(1, 2);
  d << 1, -1;
  a.update(x, d, 0.5f);
  Mat w(2, 3), expected = small_weights();
  expected.row(0) += 0.5f * x.row(0);
  expected.row(1) -= 0.5f * x.row(0);
  a.read_weights(w);
  CHECK(w.isApprox(expected));
}

TEST_CASE("SGD with momentum keeps a moving average of the gradient minus the weight cost", "[ff][array]") {
  OptimiserParams opt;
  opt.momentum = 0.9f;
  opt.weight_cost = 0.1f;
  const std::vector<float> w = one_weight_steps(opt, {1.0f, 1.0f});
  // step 1: v = 0.1 (3 - 0.1 * 2) = 0.28, w = 2 + 0.28
  CHECK(w[0] == Approx(2.28f));
  // step 2: v = 0.9 * 0.28 + 0.1 (3 - 0.228) = 0.5292, w = 2.8092
  CHECK(w[1] == Approx(2.8092f));
}

TEST_CASE("a rising momentum follows the learning rate's decay from momentum to momentum_final", "[ff][array]") {
  OptimiserParams opt;
  opt.momentum = 0.9f;
  opt.momentum_final = 0.99f;
  opt.base_lr = 0.5f;
  CHECK(opt.momentum_at(0.5f) == Approx(0.9f));
  CHECK(opt.momentum_at(0.25f) == Approx(0.945f));
  CHECK(opt.momentum_at(0.0f) == Approx(0.99f));
  CHECK(opt.momentum_at(1.0f) == Approx(0.9f));  // a rate above the base one is clamped
  // A step at the base rate 0.5, then one at 0.25: the weight after them.
  const auto steps = [](const OptimiserParams& o) { return one_weight_steps(o, {0.5f, 0.25f}).back(); };
  // step 1: v = 0.1 * 3 = 0.3, w = 2 + 0.15; step 2 at momentum 0.945: v = 0.945 * 0.3 + 0.055 * 3 = 0.4485,
  // w = 2.15 + 0.112125
  CHECK(steps(opt) == Approx(2.262125f));
  // the same steps at a constant momentum 0.9 end elsewhere: v = 0.57, w = 2.2925
  OptimiserParams flat = opt;
  flat.momentum_final = -1.0f;
  CHECK(steps(flat) == Approx(2.2925f));
  // impossible settings
  OptimiserParams bad = opt;
  bad.momentum_final = 0.8f;  // below momentum
  CHECK_THROWS_AS(DigitalArray(1, 1, bad), Error);
  bad.momentum_final = 1.0f;
  CHECK_THROWS_AS(DigitalArray(1, 1, bad), Error);
  bad = opt;
  bad.base_lr = 0.0f;
  CHECK_THROWS_AS(DigitalArray(1, 1, bad), Error);
  bad = opt;
  bad.kind = OptimiserKind::adam;
  CHECK_THROWS_AS(DigitalArray(1, 1, bad), Error);
}

TEST_CASE("Adam's first step moves every weight by lr in the direction of its gradient", "[ff][array]") {
  OptimiserParams opt;
  opt.kind = OptimiserKind::adam;
  DigitalArray a(2, 3, opt);
  a.write_weights(small_weights());
  Mat x(2, 3), d(2, 2), w(2, 3);
  x << 1, -2, 3, 0.5f, 1, -1;
  d << 1, 2, -3, 0.25f;
  const Mat g = d.transpose() * x;  // every entry nonzero here
  a.update(x, d, 0.01f);
  a.read_weights(w);
  // Bias correction makes mhat = g and vhat = g^2 after one step: the step is lr g / |g|.
  const Mat step = w - small_weights();
  for (Eigen::Index i = 0; i < g.size(); ++i)
    CHECK(step.data()[i] == Approx(0.01f * (g.data()[i] > 0 ? 1 : -1)).epsilon(1e-4));
}

TEST_CASE("a digital array rejects a wrong shape and an unknown optimiser", "[ff][array]") {
  DigitalArray a(2, 3);
  Mat w(3, 2);
  CHECK_THROWS_AS(a.read_weights(w), Error);
  CHECK_THROWS_AS(parse_optimiser("rmsprop"), Error);
  OptimiserParams bad;
  bad.momentum = 1.0f;
  CHECK_THROWS_AS(DigitalArray(2, 3, bad), Error);
}

namespace {
// Two steps of the same updates on an array; returns its weights.
Mat two_steps(DigitalArray& a) {
  Mat x(2, 3), d(2, 2), w(2, 3);
  x << 1, 0.5f, -1, 0, 2, 1;
  d << 0.3f, -0.2f, 0.1f, 0.4f;
  a.update(x, d, 0.1f);
  a.update(x, 0.5f * d, 0.1f);
  a.read_weights(w);
  return w;
}
}  // namespace

TEST_CASE("a digital array restored from a checkpoint continues exactly as the original", "[ff][array][checkpoint]") {
  for (OptimiserKind kind : {OptimiserKind::sgd, OptimiserKind::adam}) {
    OptimiserParams opt;
    opt.kind = kind;
    opt.momentum = 0.9f;
    opt.weight_cost = 0.01f;
    DigitalArray a(2, 3, opt);
    a.write_weights(small_weights());
    two_steps(a);  // optimiser state and step count are no longer their initial values
    Checkpoint c;
    a.save(c, "layer0");
    DigitalArray b(2, 3, opt);
    b.restore(c, "layer0");
    CHECK(b.steps() == a.steps());
    CHECK(two_steps(b) == two_steps(a));  // bit for bit, Adam's bias correction included
  }
}

TEST_CASE("a digital array refuses a checkpoint of another shape or optimiser", "[ff][array][checkpoint]") {
  OptimiserParams opt;
  opt.momentum = 0.9f;
  DigitalArray a(2, 3, opt);
  Checkpoint c;
  a.save(c, "layer0");
  DigitalArray wider(2, 4, opt);
  CHECK_THROWS_WITH(wider.restore(c, "layer0"), Catch::Contains("'layer0.w' is 2x3, expected 2x4"));
  OptimiserParams adam = opt;
  adam.kind = OptimiserKind::adam;
  DigitalArray other(2, 3, adam);
  CHECK_THROWS_WITH(other.restore(c, "layer0"), Catch::Contains("trained with optimiser"));
}
