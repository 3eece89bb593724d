#include "sim/recurrent_insitu.h"

#include <catch2/catch.hpp>

#include <memory>
#include <vector>

#include "core/error.h"
#include "model/ff_math.h"
#include "sim/recurrent_experiment.h"
#include "test_util.h"

using namespace mortal;

namespace {

FFParams recurrent_params(float mu) {
  FFParams p = test::small_insitu_params({12, 8});
  p.recurrent = 3;
  p.damping = 0.3f;
  p.score_iterations = {1, 3};
  p.lr = 0.02f;
  p.momentum = mu;
  return p;
}

InSituParams ideal_chips(float mu) {
  InSituParams ip;
  ip.device = "ideal";
  ip.rival = "none";
  ip.analog_momentum = mu;
  ip.momentum = AnalogMomentum{16.0, 1};
  return ip;
}

// Two learning iterations after the start of one batch of positives (labels clamped) and negatives (other
// labels), then every label's score of the same images: on the chips and digitally.
Mat learn_then_score(RecurrentHost& host, const Dataset& data, float lr) {
  FFRecurrentNet& net = host.net();
  const int n = data.size();
  Mat rows(2 * n, data.features());
  rows.topRows(n) = data.images;
  rows.bottomRows(n) = data.images;
  std::vector<int> labels = data.labels;
  for (int i = 0; i < n; ++i) labels.push_back((data.labels[std::size_t(i)] + 1) % data.num_classes);
  Vec target(2 * n);
  target.head(n).setOnes();
  target.tail(n).setZero();
  net.start(rows, labels);
  std::vector<FFStepStats> stats;
  for (int t = 0; t < 2; ++t) {
    host.rates(lr, lr);
    net.learn(target, lr, 1.0f / float(2 * n), stats);
  }
  Mat scores(n, data.num_classes);
  net.label_scores(scores, data.images);
  return scores;
}

void check_ideal_chips_learn_as_digital(float mu) {
  const std::uint64_t seed = 5;
  const Dataset data = test::noise_dataset(10, 30, 2);
  const FFParams p = recurrent_params(mu);
  const std::unique_ptr<RecurrentHost> chips = recurrent_chips(p, ideal_chips(mu), data, seed, true);
  const std::unique_ptr<RecurrentHost> digital = digital_recurrent(p, data.features(), data.num_classes, seed);
  const Mat on_chips = learn_then_score(*chips, data, p.lr);
  const Mat exact = learn_then_score(*digital, data, p.lr);
  // The same goodness to float rounding: the chips' arrays, ReLU, damping stage, integrator and normaliser
  // are exact when ideal, and their updates the digital SGD's (with momentum, the momentum array's).
  REQUIRE(on_chips.allFinite());
  CHECK((on_chips - exact).cwiseAbs().maxCoeff() <= 1e-3f * exact.cwiseAbs().maxCoeff());
  // Learning moved the scores: the comparison is not of two untouched nets.
  const std::unique_ptr<RecurrentHost> fresh = digital_recurrent(p, data.features(), data.num_classes, seed);
  Mat before(data.size(), data.num_classes);
  fresh->net().label_scores(before, data.images);
  CHECK((before - exact).cwiseAbs().maxCoeff() > 1e-2f * exact.cwiseAbs().maxCoeff());
}

}  // namespace

TEST_CASE("on ideal chips the recurrent net with plain pulses learns as the digital one does", "[insitu][recurrent]") {
  check_ideal_chips_learn_as_digital(0.0f);
}

TEST_CASE("on ideal chips the recurrent net with analog momentum learns as the digital one with momentum does",
          "[insitu][recurrent]") {
  check_ideal_chips_learn_as_digital(0.9f);
}

TEST_CASE("the top-down chip is the bottom-up chip's chain in reverse, the label entering through its DACs",
          "[insitu][recurrent]") {
  const FFParams p = recurrent_params(0.0f);
  InSituParams ip = ideal_chips(0.0f);
  ip.w_scale = 0.7;
  ip.hidden_range = 5.0;
  hw::ChipParams up = hw::chip_preset("ideal", {30, 12, 8});
  up.bias_row = true;
  up.damping_stage = true;
  up.scales = {{0.7, 2.0, 0.0}, {0.7, 5.0, 0.0}};
  const hw::ChipParams down = recurrent_down_chip(up, p, ip, 10);
  CHECK(down.sizes == std::vector<int>{10, 8, 12});
  CHECK_FALSE(down.bias_row);
  CHECK_FALSE(down.damping_stage);
  REQUIRE(down.scales.size() == 2);
  // rms normalisation of a one-hot row of 10: the one unit at sqrt(10).
  CHECK(down.scales[0].input_range == Approx(std::sqrt(10.0)).epsilon(1e-3));
  CHECK(down.scales[1].input_range == 5.0);
  CHECK(down.scales[0].w_scale == 0.7);
}

TEST_CASE("a recurrent run in situ refuses hard negatives by name", "[insitu][recurrent]") {
  FFParams p = recurrent_params(0.0f);
  p.negatives = "hard";
  REQUIRE_THROWS_WITH(insitu_rule(p, ideal_chips(0.0f)), Catch::Contains("hard negatives"));
}
