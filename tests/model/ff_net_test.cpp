#include "model/ff_net.h"

#include <catch2/catch.hpp>

#include <cmath>

#include "model/digital_array.h"

using namespace mortal;

namespace {

// 4 features (2 label pixels + 2 image pixels), layer 0: unit j copies label pixel j; layer 1: unit 0 is
// twice its first input, unit 1 its second. No bias, unit-length normalisation, no epsilon: every number
// below follows by hand.
FFNet hand_net(bool min_ssq = false) {
  Mat w0(2, 5), w1(2, 3);
  w0 << 1, 0, 0, 0, 0, 0, 1, 0, 0, 0;
  w1 << 2, 0, 0, 0, 1, 0;
  std::vector<std::unique_ptr<SynapticArray>> arrays;
  auto a0 = std::make_unique<DigitalArray>(2, 5);
  auto a1 = std::make_unique<DigitalArray>(2, 3);
  a0->write_weights(w0);
  a1->write_weights(w1);
  arrays.push_back(std::move(a0));
  arrays.push_back(std::move(a1));
  FFLayerParams lp;
  lp.norm = NormKind::l2;
  lp.norm_eps = 0;
  lp.bias_input = 0;
  lp.objective.min_ssq = min_ssq;
  return FFNet(std::move(arrays), lp, NormKind::l2);
}

LabelCoding two_labels() {
  LabelCoding c;
  c.classes = 2;
  c.value = 5;
  c.neutral = 0.1f;
  return c;
}

}  // namespace

TEST_CASE("goodness prediction sums each label's goodness over the chosen layers", "[ff]") {
  FFNet net = hand_net();
  Mat image(1, 4);
  image << 0, 0, 3, 4;
  Mat scores(1, 2);
  // label 0: input (5, 0, 3, 4)/sqrt(50); layer 0 y = (5/sqrt(50), 0), G0 = 0.5; normalised (1, 0);
  // layer 1 y = (2, 0), G1 = 4.  Label 1: G0 = 0.5, layer 1 y = (0, 1), G1 = 1.
  net.goodness_scores(scores, image, two_labels(), net.default_readout_layers());
  CHECK(scores(0, 0) == Approx(4));
  CHECK(scores(0, 1) == Approx(1));
  net.goodness_scores(scores, image, two_labels(), {0, 1});
  CHECK(scores(0, 0) == Approx(4.5));
  CHECK(scores(0, 1) == Approx(1.5));
  CHECK(net.predict_goodness(image, two_labels(), {1}) == std::vector<int>{0});
  // min-ssq: the best label has the lowest sum of squares
  FFNet min = hand_net(true);
  CHECK(min.predict_goodness(image, two_labels(), {1}) == std::vector<int>{1});
}

TEST_CASE("the neutral pass gives the normalised activities of the chosen layers", "[ff]") {
  FFNet net = hand_net();
  Mat image(1, 4), f(1, 4);
  image << 0, 0, 3, 4;
  // input (0.1, 0.1, 3, 4): layer 0 y = (0.1, 0.1)/|.|, normalised (1, 1)/sqrt2; layer 1 y = (2, 1)/sqrt2,
  // normalised (2, 1)/sqrt5
  net.neutral_features(f, image, two_labels(), {0, 1});
  const float r2 = std::sqrt(0.5f), r5 = 1 / std::sqrt(5.0f);
  CHECK(f(0, 0) == Approx(r2));
  CHECK(f(0, 1) == Approx(r2));
  CHECK(f(0, 2) == Approx(2 * r5));
  CHECK(f(0, 3) == Approx(r5));
  CHECK(net.feature_width({0, 1}) == 4);
}

TEST_CASE("the image pass reads the image as it is, no label pixel written, and one pass serves two read-outs",
          "[ff][hybrid]") {
  FFNet net = hand_net();
  Mat image(1, 4), f(1, 4), g(1, 2);
  image << 3, 4, 0, 0;
  // input (3, 4, 0, 0)/5: layer 0 y = (3, 4)/5, normalised the same; layer 1 y = (6, 4)/5, normalised
  // (3, 2)/sqrt13. A neutral pass would have read (0.1, 0.1) in those pixels instead.
  net.image_features(f, image, {0, 1});
  const float r13 = 1 / std::sqrt(13.0f);
  CHECK(f(0, 0) == Approx(0.6f));
  CHECK(f(0, 1) == Approx(0.8f));
  CHECK(f(0, 2) == Approx(3 * r13));
  CHECK(f(0, 3) == Approx(2 * r13));
  // collect_features reads the same pass again, for another choice of layers
  net.collect_features(g, {1});
  CHECK(g(0, 0) == f(0, 2));
  CHECK(g(0, 1) == f(0, 3));
  Mat wrong(1, 3);
  CHECK_THROWS_WITH(net.image_features(f, wrong, {0}), Catch::Contains("images of 3 pixels"));
}

TEST_CASE("learning fast: one update with eps = sqrt(S*/S) - 1 sets every layer's goodness to S*", "[ff]") {
  // Paper section 8: with a unit-length input, dW_j = eps y_j x raises every active unit's input by eps y_j,
  // so y -> (1 + eps) y and G -> (1 + eps)^2 G. The next layer sees only the normalised activity, which
  // that scaling leaves alone, so all layers can take their step at once from one forward pass.
  const std::vector<int> sizes = {30, 20, 10};
  std::vector<std::unique_ptr<SynapticArray>> arrays;
  int in = 12;
  for (std::size_t l = 0; l < sizes.size(); ++l) {
    auto a = std::make_unique<DigitalArray>(sizes[l], in + 1);
    Rng rng = make_rng(3, "test.fast", l);
    a->init_uniform(rng);
    arrays.push_back(std::move(a));
    in = sizes[l];
  }
  FFLayerParams lp;
  lp.norm = NormKind::l2;
  lp.norm_eps = 0;
  lp.bias_input = 0;
  FFNet net(std::move(arrays), lp, NormKind::l2);
  MatRef x = net.input(1);
  for (int k = 0; k < 12; ++k) x(0, k) = std::cos(0.7f * k) + 0.5f;
  net.normalise_input();
  net.propagate(net.layers());
  const float target = 3.0f;
  std::vector<Mat> inputs, deltas;
  std::vector<float> eps;
  for (int l = 0; l < net.layers(); ++l) {
    FFLayer& layer = net.layer(l);
    const float s = layer.goodness()(0);
    REQUIRE(s > 0);
    Mat xin(1, layer.inputs() + 1);
    xin << layer.input(1), 0.0f;  // the bias column carries 0
    inputs.push_back(xin);
    deltas.push_back(layer.activity());  // d = y: the learning signal's scale is all in eps
    eps.push_back(std::sqrt(target / s) - 1);
  }
  for (int l = 0; l < net.layers(); ++l) net.layer(l).array().update(inputs[l], deltas[l], eps[l]);
  net.input(1) = inputs[0].leftCols(12);
  net.propagate(net.layers());
  for (int l = 0; l < net.layers(); ++l) CHECK(net.layer(l).goodness()(0) == Approx(target).epsilon(1e-4));
}

TEST_CASE("pipelined training raises positive and lowers negative goodness on a fixed batch", "[ff]") {
  std::vector<std::unique_ptr<SynapticArray>> arrays;
  int in = 16;
  for (int l = 0; l < 2; ++l) {
    auto a = std::make_unique<DigitalArray>(20, in + 1);
    Rng rng = make_rng(5, "test.pipeline", static_cast<std::uint64_t>(l));
    a->init_uniform(rng);
    arrays.push_back(std::move(a));
    in = 20;
  }
  FFLayerParams lp;
  FFNet net(std::move(arrays), lp, NormKind::rms);
  Mat batch(8, 16);
  for (int i = 0; i < 8; ++i)
    for (int k = 0; k < 16; ++k) batch(i, k) = std::abs(std::sin(1.3f * i + 0.4f * k * (i % 2 ? 1.0f : -2.0f)));
  Vec target(8);
  target << 1, 0, 1, 0, 1, 0, 1, 0;
  std::vector<FFStepStats> first, last;
  for (int step = 0; step < 200; ++step) {
    net.input(8) = batch;
    net.normalise_input();
    net.train_all(target, 0.05f, 1.0f / 8, step == 0 ? first : last);
  }
  for (int l = 0; l < 2; ++l) {
    CHECK(last[l].loss < 0.5 * first[l].loss);
    CHECK(last[l].goodness_pos > last[l].goodness_neg);
  }
}

TEST_CASE("a layer's training step applies exactly the update the separable FF functions give", "[ff]") {
  for (GoodnessKind kind : {GoodnessKind::sum_squares, GoodnessKind::mean_squares}) {
    auto array = std::make_unique<DigitalArray>(6, 5);
    Rng rng = make_rng(9, "test.fused");
    array->init_uniform(rng, 3.0f);
    Mat w0(6, 5), w1(6, 5);
    array->read_weights(w0);
    DigitalArray* raw = array.get();
    FFLayerParams lp;
    lp.objective.kind = kind;
    lp.objective.theta = 0.5f;
    FFLayer layer(std::move(array), lp);
    MatRef x = layer.input(4);
    for (int i = 0; i < 4; ++i)
      for (int k = 0; k < 4; ++k) x(i, k) = std::sin(0.3f + 1.1f * i + 0.7f * k);
    Vec t(4);
    t << 1, 0, 1, 0;
    // the reference: the separable functions on the same input
    Mat xb(4, 5);
    xb << layer.input(4), Vec::Ones(4);
    Mat z = xb * w0.transpose(), y(4, 6), d(4, 6);
    relu(y, z);
    Vec g(4), c(4);
    goodness(g, y, kind);
    learning_signal(c, g, t, lp.objective, 0.5f);
    ff_delta(d, c, y, kind, 0.25f);
    const FFStepStats s = layer.train(t, 0.1f, 0.25f);
    raw->read_weights(w1);
    const Mat expected = w0 + 0.1f * d.transpose() * xb;
    INFO("largest difference " << (w1 - expected).cwiseAbs().maxCoeff());
    CHECK(w1.isApprox(expected, 1e-5f));
    CHECK(s.loss == Approx(ff_loss(g, t, lp.objective, 0.5f)));
  }
}

namespace {
// A layer over a digital array with `opt`, trained three steps on 2n rows whose second half repeats the
// first except in the first `label` columns; pairing on or off. Returns the final weights, the last
// step's stats and activity.
struct PairRun {
  Mat w, activity;
  FFStepStats stats;
};
PairRun train_pairs(const OptimiserParams& opt, int label, bool paired, int n) {
  const int inputs = 9, units = 7;
  auto array = std::make_unique<DigitalArray>(units, inputs + 1, opt);
  Rng rng = make_rng(4, "test.pairs");
  array->init_uniform(rng, 2.0f);
  DigitalArray* raw = array.get();
  FFLayerParams lp;
  lp.objective.theta = 1.0f;
  lp.peer_lambda = 0.03f;
  FFLayer layer(std::move(array), lp);
  if (paired) layer.pair_negatives(label);
  Vec t(2 * n);
  t.head(n).setOnes();
  t.tail(n).setZero();
  PairRun r;
  for (int step = 0; step < 3; ++step) {
    MatRef x = layer.input(2 * n);
    for (int i = 0; i < n; ++i)
      for (int k = 0; k < inputs; ++k) {
        x(i, k) = k < label ? float((i + step) % label == k) : std::cos(0.4f * i + 0.9f * k + step);
        x(n + i, k) = k < label ? float((i + step + 1) % label == k) : x(i, k);
      }
    r.stats = layer.train(t, 0.2f, 1.0f / float(2 * n));
  }
  r.activity = layer.activity();
  r.w.resize(units, inputs + 1);
  raw->read_weights(r.w);
  return r;
}
}  // namespace

TEST_CASE("paired negatives: products on the positives plus the label columns give the full step's results",
          "[ff]") {
  OptimiserParams sgd;
  sgd.momentum = 0.9f;
  sgd.weight_cost = 0.001f;
  OptimiserParams adam;
  adam.kind = OptimiserKind::adam;
  for (const OptimiserParams& opt : {sgd, adam}) {
    const PairRun full = train_pairs(opt, 3, false, 5), paired = train_pairs(opt, 3, true, 5);
    INFO("optimiser " << to_string(opt.kind) << ", largest weight difference "
                      << (paired.w - full.w).cwiseAbs().maxCoeff());
    CHECK(paired.w.isApprox(full.w, 1e-5f));
    CHECK(paired.activity.isApprox(full.activity, 1e-5f));
    CHECK(paired.stats.loss == Approx(full.stats.loss).epsilon(1e-5));
    CHECK(paired.stats.goodness_neg == Approx(full.stats.goodness_neg).epsilon(1e-5));
  }
}
