#include "model/softmax.h"

#include <catch2/catch.hpp>

#include "model/dataset.h"
#include "test_util.h"

using namespace mortal;

TEST_CASE("softmax cross-entropy of equal logits is log(classes)", "[softmax]") {
  Mat logits = Mat::Zero(3, 4), probs(3, 4);
  float loss = SoftmaxClassifier::cross_entropy(probs, logits, {0, 1, 3});
  CHECK(loss == Approx(std::log(4.0f)));
  CHECK(probs.array().isApprox(Mat::Constant(3, 4, 0.25f).array()));
}

TEST_CASE("the softmax gradient matches finite differences of the loss", "[softmax]") {
  SoftmaxClassifier clf(5, 3, SoftmaxParams{0.1f, 0.0f, 0.0f});
  Mat x = Mat::Random(4, 5);
  std::vector<int> y = {0, 2, 1, 2};
  // Take one step from zero weights with lr 1 and no momentum: the weights become -grad.
  clf.train_step(x, y, 1.0f);
  Mat grad = -clf.weights();
  const float h = 1e-3f;
  Mat probs(4, 3), z(4, 3);
  for (int k = 0; k < 3; ++k)
    for (int j = 0; j < 5; ++j) {
      Mat w = Mat::Zero(3, 5);
      w(k, j) = h;
      z = x * w.transpose();
      float up = SoftmaxClassifier::cross_entropy(probs, z, y);
      w(k, j) = -h;
      z = x * w.transpose();
      float down = SoftmaxClassifier::cross_entropy(probs, z, y);
      CHECK(grad(k, j) == Approx((up - down) / (2 * h)).margin(1e-3));
    }
}

TEST_CASE("a linear classifier separates a small MNIST subset", "[softmax][mnist]") {
  if (!test::have_mnist()) {
    WARN("MNIST not found; run scripts/setup.sh");
    return;
  }
  Dataset train = load_mnist(test::mnist_dir(), "train").head(2000);
  Dataset test = load_mnist(test::mnist_dir(), "t10k").head(1000);
  SoftmaxClassifier clf(train.features(), 10, SoftmaxParams{});
  for (int epoch = 0; epoch < 5; ++epoch)
    for (int s = 0; s < train.size(); s += 50) {
      std::vector<int> idx;
      for (int i = s; i < s + 50; ++i) idx.push_back(i);
      Dataset b = train.subset(idx);
      clf.train_step(b.images, b.labels, 0.05f);
    }
  // Chance is 90% error; a linear model trained on 2000 images reaches roughly 12-15% on MNIST.
  CHECK(error_rate(clf.predict(test.images), test.labels) < 0.20);
}

TEST_CASE("a softmax classifier restored from a checkpoint continues exactly as the original", "[softmax][checkpoint]") {
  SoftmaxClassifier a(3, 2, SoftmaxParams{0.1f, 0.9f, 0.0f});
  Mat x(2, 3);
  x << 1, 0, 2, -1, 1, 0;
  const std::vector<int> y = {0, 1};
  a.train_step(x, y, 0.1f);  // velocities are no longer zero
  Checkpoint c;
  a.save(c, "readout");
  SoftmaxClassifier b(3, 2, SoftmaxParams{0.1f, 0.9f, 0.0f});
  b.restore(c, "readout");
  CHECK(b.train_step(x, y, 0.1f) == a.train_step(x, y, 0.1f));
  CHECK(b.weights() == a.weights());
  CHECK(b.bias() == a.bias());
  SoftmaxClassifier wider(4, 2, SoftmaxParams{0.1f, 0.9f, 0.0f});
  CHECK_THROWS_WITH(wider.restore(c, "readout"), Catch::Contains("'readout.w' is 2x3, expected 2x4"));
}
