#include "model/bp_mlp.h"

#include <catch2/catch.hpp>

#include <cmath>

#include "core/error.h"
#include "model/dataset.h"
#include "model/softmax.h"
#include "test_util.h"

using namespace mortal;

namespace {

BpMlpParams small_params() {
  BpMlpParams p;
  p.sizes = {6, 5, 4, 3};
  p.max_batch = 8;
  return p;
}

Mat random_input(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed) {
  Rng rng = make_rng(seed, "test_input");
  Mat x(rows, cols);
  for (Eigen::Index i = 0; i < x.size(); ++i)
    x.data()[i] = static_cast<float>(rng() % 2001) / 1000.0f - 1.0f;  // uniform on a grid in [-1, 1]
  return x;
}

// Compares the backprop gradient of every weight and bias with central differences of the training-mode
// loss. The dropout stream is restarted from the same state for every evaluation, so each one sees the
// same dropout masks and the loss is a deterministic function of the weights.
void check_gradients_by_finite_differences(const BpMlpParams& p) {
  Rng init = make_rng(7, "bp_init");
  BpMlp net(p, init);
  const Mat x = random_input(p.max_batch, p.sizes[0], 11);
  std::vector<int> y;
  for (int i = 0; i < p.max_batch; ++i) y.push_back(i % p.sizes.back());
  const Rng dropout = make_rng(7, "bp_dropout");
  auto loss_at = [&]() {
    Rng r = dropout;
    return static_cast<double>(net.compute_gradients(x, y, r).loss);
  };
  loss_at();
  std::vector<Mat> gw;
  std::vector<RowVec> gb;
  for (int l = 0; l < p.layers(); ++l) {
    gw.push_back(net.weight_gradient(l));
    gb.push_back(net.bias_gradient(l));
  }
  // Central differences in float: h large enough that rounding of the loss (~1e-7 / h) stays well below
  // the tolerance. A ReLU input within about h of zero makes one difference straddle the kink and miss by
  // up to half the jump in slope (a few 1e-3 here), so each layer is judged by the relative error of its
  // whole gradient (cs231n's gradient check), which any wrong scale, mask or transpose drives to O(1).
  const float h = 1e-3f;
  auto central = [&](float& param) {
    const float saved = param;
    param = saved + h;
    const double up = loss_at();
    param = saved - h;
    const double down = loss_at();
    param = saved;
    return (up - down) / (2 * h);
  };
  for (int l = 0; l < p.layers(); ++l) {
    const auto ul = static_cast<std::size_t>(l);
    Mat& w = net.weights(l);
    RowVec& b = net.bias(l);
    Eigen::VectorXd bp(w.size() + b.size()), fd(w.size() + b.size());
    for (Eigen::Index k = 0; k < w.size(); ++k) {
      bp[k] = gw[ul].data()[k];
      fd[k] = central(w.data()[k]);
    }
    for (Eigen::Index k = 0; k < b.size(); ++k) {
      bp[w.size() + k] = gb[ul][k];
      fd[w.size() + k] = central(b[k]);
    }
    const double relative = (bp - fd).norm() / (bp.norm() + fd.norm());
    INFO("layer " << l << ": relative error " << relative << ", largest difference "
                  << (bp - fd).cwiseAbs().maxCoeff() << ", gradient norm " << bp.norm());
    CHECK(bp.norm() > 1e-2);  // the comparison means something
    CHECK(relative < 1e-2);
    CHECK((bp - fd).cwiseAbs().maxCoeff() < 5e-3);
  }
}

}  // namespace

TEST_CASE("the backprop gradient of every layer matches finite differences of the loss", "[bp]") {
  check_gradients_by_finite_differences(small_params());
}

TEST_CASE("with dropout, the backprop gradient matches finite differences under fixed masks", "[bp]") {
  BpMlpParams p = small_params();
  p.dropout_input = 0.2f;
  p.dropout_hidden = 0.3f;
  check_gradients_by_finite_differences(p);
}

TEST_CASE("SGD with momentum and weight cost steps by v = mu v + g + wd w, w -= lr v", "[bp]") {
  BpMlpParams p = small_params();
  p.momentum = 0.9f;
  p.weight_decay = 0.01f;
  Rng init = make_rng(3, "bp_init"), rng = make_rng(3, "bp_dropout");
  BpMlp net(p, init);
  const Mat x = random_input(4, 6, 5);
  const std::vector<int> y = {0, 1, 2, 1};
  const float lr = 0.1f;
  std::vector<Mat> v(static_cast<std::size_t>(p.layers()));
  for (int step = 0; step < 2; ++step) {
    net.compute_gradients(x, y, rng);
    for (int l = 0; l < p.layers(); ++l) {
      const auto ul = static_cast<std::size_t>(l);
      const Mat w = net.weights(l);
      const Mat g = net.weight_gradient(l);
      if (step == 0) v[ul] = Mat::Zero(w.rows(), w.cols());
      v[ul] = p.momentum * v[ul] + g + p.weight_decay * w;
    }
    std::vector<Mat> before;
    for (int l = 0; l < p.layers(); ++l) before.push_back(net.weights(l));
    net.apply_gradients(lr);
    for (int l = 0; l < p.layers(); ++l) {
      const auto ul = static_cast<std::size_t>(l);
      const Mat expected = before[ul] - lr * v[ul];
      CHECK((net.weights(l) - expected).cwiseAbs().maxCoeff() < 1e-6f);
    }
  }
}

TEST_CASE("Adam's first step moves every weight by lr against the sign of its gradient", "[bp]") {
  BpMlpParams p = small_params();
  p.optimizer = BpOptimizer::adam;
  // After bias correction, step one is lr * g / (|g| + eps) for every parameter.
  Rng init = make_rng(3, "bp_init"), rng = make_rng(3, "bp_dropout");
  BpMlp fresh(p, init);
  const Mat x = random_input(4, 6, 5);
  const float lr = 0.01f;
  fresh.compute_gradients(x, {0, 1, 2, 1}, rng);
  std::vector<Mat> before, grads;
  for (int l = 0; l < p.layers(); ++l) {
    before.push_back(fresh.weights(l));
    grads.push_back(fresh.weight_gradient(l));
  }
  fresh.apply_gradients(lr);
  for (int l = 0; l < p.layers(); ++l) {
    const auto ul = static_cast<std::size_t>(l);
    const Mat expected =
        before[ul].array() - lr * grads[ul].array() / (grads[ul].array().abs() + p.adam_eps);
    CHECK((fresh.weights(l) - expected).cwiseAbs().maxCoeff() < 1e-6f);
  }
}

TEST_CASE("inference in chunks gives the logits of one example at a time", "[bp]") {
  BpMlpParams p = small_params();
  Rng init = make_rng(9, "bp_init");
  BpMlp net(p, init);
  const Mat x = random_input(2345, 6, 13);  // more rows than one inference chunk
  Mat all(x.rows(), 3), one(1, 3);
  net.logits(all, x);
  double largest = 0;
  for (Eigen::Index i = 0; i < x.rows(); i += 97) {
    net.logits(one, x.row(i));
    largest = std::max(largest, static_cast<double>((all.row(i) - one).cwiseAbs().maxCoeff()));
  }
  INFO("largest difference " << largest);
  CHECK(largest < 1e-5);
}

TEST_CASE("the same seeds train the same network", "[bp]") {
  BpMlpParams p = small_params();
  p.dropout_hidden = 0.5f;
  const Mat x = random_input(8, 6, 1);
  const std::vector<int> y = {0, 1, 2, 0, 1, 2, 0, 1};
  // The second layer's weights after 5 steps (0 steps: as initialised), dropout drawn from `dropout_seed`.
  auto train = [&](int steps, std::uint64_t dropout_seed) {
    Rng init = make_rng(5, "bp_init"), rng = make_rng(dropout_seed, "bp_dropout");
    BpMlp net(p, init);
    for (int s = 0; s < steps; ++s) net.train_step(x, y, 0.1f, rng);
    return Mat(net.weights(1));
  };
  const Mat trained = train(5, 5);
  CHECK(trained == train(5, 5));
  CHECK(trained != train(0, 5));  // it learned
  CHECK(trained != train(5, 6));  // and another dropout seed drops other units
}

TEST_CASE("learning-rate schedules start at the base rate and end at zero", "[bp]") {
  CHECK(lr_factor(LrSchedule::constant, 0.7) == 1.0f);
  CHECK(lr_factor(LrSchedule::linear, 0.0) == 1.0f);
  CHECK(lr_factor(LrSchedule::linear, 0.25) == Approx(0.75));
  CHECK(lr_factor(LrSchedule::linear, 1.0) == 0.0f);
  CHECK(lr_factor(LrSchedule::half_linear, 0.4) == 1.0f);
  CHECK(lr_factor(LrSchedule::half_linear, 0.75) == Approx(0.5));
  CHECK(lr_factor(LrSchedule::cosine, 0.5) == Approx(0.5));
  CHECK(lr_factor(LrSchedule::cosine, 1.0) == Approx(0.0).margin(1e-7));
  CHECK(parse_lr_schedule(to_string(LrSchedule::half_linear)) == LrSchedule::half_linear);
  CHECK(parse_bp_optimizer(to_string(BpOptimizer::adam)) == BpOptimizer::adam);
}

TEST_CASE("bad BP network parameters are rejected by name", "[bp]") {
  Rng init = make_rng(1, "bp_init");
  auto build = [&](BpMlpParams p) { BpMlp net(p, init); };
  BpMlpParams p = small_params();
  p.sizes = {784};
  CHECK_THROWS_WITH(build(p), Catch::Contains("bp.sizes"));
  p = small_params();
  p.sizes[2] = 0;
  CHECK_THROWS_WITH(build(p), Catch::Contains("bp.sizes[2]"));
  p = small_params();
  p.momentum = 1.5f;
  CHECK_THROWS_WITH(build(p), Catch::Contains("momentum"));
  p = small_params();
  p.weight_decay = -1;
  CHECK_THROWS_WITH(build(p), Catch::Contains("weight-decay"));
  p = small_params();
  p.dropout_hidden = 1;
  CHECK_THROWS_WITH(build(p), Catch::Contains("dropout-hidden"));
  p = small_params();
  p.adam_beta2 = 1;
  CHECK_THROWS_WITH(build(p), Catch::Contains("adam-beta2"));
  CHECK_THROWS_WITH(parse_bp_optimizer("rmsprop"), Catch::Contains("rmsprop"));
  CHECK_THROWS_WITH(parse_lr_schedule("step"), Catch::Contains("lr-schedule"));

  BpMlp net(small_params(), init);
  Rng rng = make_rng(1, "bp_dropout");
  CHECK_THROWS_WITH(net.compute_gradients(Mat::Zero(9, 6), std::vector<int>(9, 0), rng),
                    Catch::Contains("9 rows"));
  CHECK_THROWS_WITH(net.compute_gradients(Mat::Zero(2, 6), {0, 3}, rng), Catch::Contains("label 3"));
}

TEST_CASE("a small MLP trained by backprop on an MNIST subset ends below an error bound", "[bp][mnist]") {
  if (!test::have_mnist()) {
    WARN("MNIST not found; run scripts/setup.sh");
    return;
  }
  const Dataset train = load_mnist(test::mnist_dir(), "train").head(2000);
  const Dataset test = load_mnist(test::mnist_dir(), "t10k").head(1000);
  BpMlpParams p;
  p.sizes = {784, 64, 10};
  p.max_batch = 50;
  Rng init = make_rng(1, "bp_init"), rng = make_rng(1, "bp_dropout");
  BpMlp net(p, init);
  Mat xb(50, 784);
  std::vector<int> yb(50);
  for (int epoch = 0; epoch < 5; ++epoch)
    for (int s = 0; s < train.size(); s += 50) {
      xb = train.images.middleRows(s, 50);
      std::copy(train.labels.begin() + s, train.labels.begin() + s + 50, yb.begin());
      net.train_step(xb, yb, 0.05f, rng);
    }
  // Chance is 90% error and a linear model trained on these 2000 images gets 12-15%; one hidden layer
  // trained for 5 epochs should do clearly better than the linear bound the softmax test uses (20%).
  const double err = error_rate(net.predict(test.images), test.labels);
  INFO("test error on 1000 images " << err);
  CHECK(err < 0.15);
}
