#include "model/ff_recurrent.h"

#include <catch2/catch.hpp>

#include <boost/random/normal_distribution.hpp>
#include <memory>
#include <vector>

#include "core/error.h"
#include "core/rng.h"
#include "model/digital_array.h"
#include "model/ff_net.h"

using namespace mortal;

namespace {

Mat recurrent_random(int rows, int cols, Rng& rng, float sd = 1.0f) {
  Mat m(rows, cols);
  boost::random::normal_distribution<float> n(0.0f, sd);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = n(rng);
  return m;
}

// A 12-input net of layers 9 and 7 under 4 classes: its bottom-up weights, and top-down ones (zero, or
// drawn).
struct RecurrentWeights {
  std::vector<Mat> up, down;
};
const std::vector<int> kRecurrentUnits = {9, 7};
constexpr int kRecurrentFeatures = 12, kRecurrentClasses = 4;

RecurrentWeights recurrent_weights(Rng& rng, bool top_down) {
  RecurrentWeights w;
  int in = kRecurrentFeatures;
  for (std::size_t l = 0; l < kRecurrentUnits.size(); ++l) {
    w.up.push_back(recurrent_random(kRecurrentUnits[l], in + 1, rng, 0.4f));
    const int above = l + 1 < kRecurrentUnits.size() ? kRecurrentUnits[l + 1] : kRecurrentClasses;
    w.down.push_back(top_down ? Mat(recurrent_random(kRecurrentUnits[l], above, rng, 0.4f))
                              : Mat(Mat::Zero(kRecurrentUnits[l], above)));
    in = kRecurrentUnits[l];
  }
  return w;
}

std::vector<std::unique_ptr<SynapticArray>> recurrent_arrays(const std::vector<Mat>& w) {
  std::vector<std::unique_ptr<SynapticArray>> a;
  for (const Mat& m : w) {
    auto d = std::make_unique<DigitalArray>(static_cast<int>(m.rows()), static_cast<int>(m.cols()));
    d->write_weights(m);
    a.push_back(std::move(d));
  }
  return a;
}

FFLayerParams recurrent_layer_params() {
  FFLayerParams lp;
  lp.peer_lambda = 0.03f;
  return lp;
}

FFRecurrentNet recurrent_net(const RecurrentWeights& w, float damping) {
  RecurrentParams rp;
  rp.damping = damping;
  return FFRecurrentNet(recurrent_arrays(w.up), recurrent_arrays(w.down), recurrent_layer_params(), NormKind::rms, rp);
}

}  // namespace

TEST_CASE("the recurrent net with top-down weights zero and no damping is the feed-forward net, step for step",
          "[ff][recurrent]") {
  Rng rng(3);
  const RecurrentWeights w = recurrent_weights(rng, false);
  FFRecurrentNet rec = recurrent_net(w, 0.0f);
  FFNet ff(recurrent_arrays(w.up), recurrent_layer_params(), NormKind::rms);
  const Mat images = recurrent_random(6, kRecurrentFeatures, rng).cwiseAbs();
  const std::vector<int> labels = {0, 1, 2, 3, 1, 0};
  Vec target(6);
  target << 1, 1, 1, 0, 0, 0;

  rec.start(images, labels);
  ff.input(6) = images;
  ff.normalise_input();
  ff.propagate(ff.layers());
  for (int l = 0; l < 2; ++l) CHECK((rec.goodness(l) - ff.layer(l).goodness()).cwiseAbs().maxCoeff() <= 1e-4f);
  // Every iteration repeats the bottom-up pass.
  for (int t = 0; t < 3; ++t) {
    rec.iterate();
    for (int l = 0; l < 2; ++l) CHECK((rec.goodness(l) - ff.layer(l).goodness()).cwiseAbs().maxCoeff() <= 1e-4f);
  }
  // A learning iteration is the pipelined step: the same statistics, bottom-up weights and peer means.
  std::vector<FFStepStats> rs, fs;
  rec.learn(target, 0.1f, 1.0f / 6, rs);
  ff.input(6) = images;
  ff.normalise_input();
  ff.train_all(target, 0.1f, 1.0f / 6, fs);
  for (int l = 0; l < 2; ++l) {
    CAPTURE(l);
    CHECK(rs[static_cast<std::size_t>(l)].loss == Approx(fs[static_cast<std::size_t>(l)].loss).epsilon(1e-5));
    Mat wr(rec.up(l).outputs(), rec.up(l).inputs()), wf(wr.rows(), wr.cols());
    rec.up(l).read_weights(wr);
    ff.layer(l).array().read_weights(wf);
    CHECK((wr - wf).cwiseAbs().maxCoeff() <= 1e-5f);
    CHECK((rec.running_mean(l) - ff.layer(l).running_mean()).cwiseAbs().maxCoeff() <= 1e-6f);
  }
}

TEST_CASE("an iteration damps each layer's state towards its drive from the layers below and above",
          "[ff][recurrent]") {
  Rng rng(4);
  const RecurrentWeights w = recurrent_weights(rng, true);
  FFRecurrentNet rec = recurrent_net(w, 0.3f);
  const Mat images = recurrent_random(3, kRecurrentFeatures, rng).cwiseAbs();
  const std::vector<int> labels = {2, 0, 3};
  rec.start(images, labels);
  // Bottom-up states by hand, as start() leaves them.
  const auto rms = [](Mat y) {
    for (Eigen::Index i = 0; i < y.rows(); ++i) y.row(i) /= std::sqrt(y.row(i).squaredNorm() / y.cols()) + 1e-4f;
    return y;
  };
  const auto with_bias = [](const Mat& x) {
    Mat b(x.rows(), x.cols() + 1);
    b << x, Mat::Ones(x.rows(), 1);
    return b;
  };
  const Mat x0 = rms(images);
  const Mat h0 = (with_bias(x0) * w.up[0].transpose()).cwiseMax(0.0f);
  const Mat h1 = (with_bias(rms(h0)) * w.up[1].transpose()).cwiseMax(0.0f);
  Mat onehot = Mat::Zero(3, kRecurrentClasses);
  for (int i = 0; i < 3; ++i) onehot(i, labels[static_cast<std::size_t>(i)]) = 1;
  // One synchronous iteration: layer 0 from the image and layer 1's bottom-up state, layer 1 from layer 0's
  // and the label.
  const Mat n0 = (with_bias(x0) * w.up[0].transpose() + rms(h1) * w.down[0].transpose()).cwiseMax(0.0f);
  const Mat n1 = (with_bias(rms(h0)) * w.up[1].transpose() + rms(onehot) * w.down[1].transpose()).cwiseMax(0.0f);
  rec.iterate();
  const Vec g0 = (0.3f * h0 + 0.7f * n0).rowwise().squaredNorm();
  const Vec g1 = (0.3f * h1 + 0.7f * n1).rowwise().squaredNorm();
  CHECK((rec.goodness(0) - g0).cwiseAbs().maxCoeff() <= 1e-3f * g0.maxCoeff());
  CHECK((rec.goodness(1) - g1).cwiseAbs().maxCoeff() <= 1e-3f * g1.maxCoeff());
  // The clamped label reaches the goodness: the scores of one image differ by label.
  Mat scores(3, kRecurrentClasses);
  rec.label_scores(scores, images);
  CHECK(scores.row(0).maxCoeff() > scores.row(0).minCoeff());
}

TEST_CASE("the recurrent net refuses settings and arrays that do not fit, by name", "[ff][recurrent]") {
  RecurrentParams rp;
  rp.damping = 1.0f;
  CHECK_THROWS_WITH(rp.validate(), Catch::Contains("damping must be in [0, 1)"));
  rp = {};
  rp.score_first = 6;
  CHECK_THROWS_WITH(rp.validate(), Catch::Contains("scored iterations 6..5"));
  Rng rng(5);
  RecurrentWeights w = recurrent_weights(rng, true);
  w.down[0] = Mat::Zero(kRecurrentUnits[0], 5);  // layer 1 has 7 units, not 5
  CHECK_THROWS_WITH(FFRecurrentNet(recurrent_arrays(w.up), recurrent_arrays(w.down), recurrent_layer_params(),
                                   NormKind::rms, RecurrentParams{}),
                    Catch::Contains("layer 0's top-down array has 5 inputs but layer 1 has 7 units"));
}
