#include "sim/insitu_ff.h"

#include <CLI/CLI.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <boost/random/uniform_real_distribution.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/rng.h"
#include "test_util.h"
#include "model/digital_array.h"
#include "model/ff_net.h"
#include "model/hybrid_images.h"
#include "sim/cli.h"
#include "sim/supervision.h"

using namespace mortal;

using test::noise_dataset;

namespace {

FFParams small_params() { return test::small_insitu_params({16, 12}); }

hw::ChipParams chip_for(const std::string& device, const FFParams& p, int features) {
  std::vector<int> sizes = {features};
  for (int u : p.layers) sizes.push_back(u);
  hw::ChipParams cp = hw::chip_preset(device, sizes);
  cp.bias_row = true;
  return cp;
}

}  // namespace

namespace {

// On the ideal chip two in-situ steps against the digital FF's two steps with the same batches, negatives
// and initial weights. With momentum mu > 0 the chip runs analog momentum (the momentum array holds G lr0 v,
// transferred row by row) and the digital optimiser v = mu v + (1 - mu) g, W += lr v: two steps, so that
// the velocity carries over. With carry on, plain SGD through a fine array carried in shares of its rows:
// the layer's weight C + A / factor is the digital one after every step, whatever has been carried.
// The two steps are the last two of a four-step run: under schedule "halfdecay" their rates are lr1 = lr
// and lr2 = lr / 2. With momentum and a changing rate the chip matches only when the schedule acts at the
// transfer, as the digital W += lr v does: with lr_at "gradient" the second step moves W by
// lr2 (mu v1 + (1 - mu) g2) + (lr1 - lr2) mu v1, that last term more than digital's, and `match` false
// checks that the two differ.
// With pulsed_weights the weights' array is pulsed (the ideal device's constant step, no noise of any kind)
// and the second arrays exact: with a whole-steps carry the layer's weight C + A / factor still matches,
// and C has moved by whole steps only. With copies > 1 every layer's weights are held on that many arrays
// (hw::ChipParams::weight_copies), each of which must hold the digital weights. Unsupervised, the chip learns
// from a HybridSupervision and the digital FF from the hybrids its trainer draws for a batch, on 6x6 images.
// With local fields, the paper's kind of layers on a 6x6 image: 3x3 locations of 2 channels with
// 2x2 fields at stride 2, then 2x2 locations of 3 channels seeing 2x2 locations below; the chip's crossbars,
// and the rule's arrays beside them, hold a pair of devices only where a unit sees an input, and every
// empty cross-point of every array must still be 0.
// (SystemC elaborates once per process: one call per test case.)
void check_ideal_steps_match_digital(float mu, FineCarry carry = {}, AnalogMomentum am = AnalogMomentum{16.0, 1},
                                     const std::string& schedule = "constant", bool match = true,
                                     float mu_final = -1.0f, bool pulsed_weights = false, int copies = 1,
                                     bool unsupervised = false, bool local_fields = false) {
  const std::uint64_t seed = 7;
  const int b = 20, steps = 2;
  const Dataset data = noise_dataset(b * steps, unsupervised || local_fields ? 36 : 30, 1);
  FFParams p = small_params();
  if (unsupervised) {
    p.negatives = "hybrid";
    p.predict = "softmax";
    p.mask_passes = 2;
  }
  if (local_fields) {
    p.layers = {18, 12};
    p.receptive_fields = {"2/2", "2/1"};
  }
  p.momentum = mu;
  p.momentum_final = mu_final;
  p.lr_schedule = schedule;
  hw::Ledger ledger;
  hw::ChipParams cp = chip_for("ideal", p, data.features());
  if (local_fields) {
    InSituParams ip;
    ip.device = "ideal";
    hw::EnergyParams energy;
    cp.connectivity = insitu_chip(p, ip, choose_update_rule(p, am, carry), data, energy).connectivity;
    REQUIRE(cp.connectivity.size() == 2);
  }
  const UpdateRuleParams rule = choose_update_rule(p, am, carry);
  cp.extra_arrays = extra_arrays(rule);
  cp.weight_copies = copies;
  if (pulsed_weights) {
    cp.crossbar.update.kind = hw::UpdateKind::pulsed;
    cp.set_second_device("ideal");
  }
  hw::Chip chip("chip", cp, ledger, seed);
  std::unique_ptr<FFSupervision> supervision;
  if (unsupervised)
    supervision = std::make_unique<HybridSupervision>(data.images, data.num_classes,
                                                      hybrid_mask_params(p, data.features()));
  else
    supervision = std::make_unique<LabelSupervision>(data);
  InSituFF insitu(chip, p, *supervision, seed, 2, rule);
  insitu.program_initial();
  std::vector<Mat> c0;
  for (int k = 0; k < chip.layers(); ++k) c0.push_back(chip.tile(k).core().weights_normalised());
  long long step = steps;
  insitu.train_epoch(1, step, 2 * steps);
  REQUIRE(step == 2 * steps);

  // The digital reference, fed the same batches, negatives and initial weights.
  FFNet net(make_ff_arrays(p, data.features(), seed), p.layer_params(), parse_norm(p.input_norm));
  const std::vector<int> order = shuffled_indices(data.size(), stream_seed(seed, "ff.order", 1));
  Rng neg_rng = make_rng(seed, "ff.negatives");
  HybridMasks masks(HybridMaskParams{6, 6, p.mask_passes});  // the hybrids' masks (unsupervised)
  const LabelCoding coding = p.label_coding();
  for (int s = 0; s < steps; ++s) {
    Mat images(b, data.features());
    std::vector<int> labels(static_cast<std::size_t>(b)), negs(static_cast<std::size_t>(b)), rows;
    for (int i = 0; i < b; ++i) {
      const auto k = static_cast<std::size_t>(order[static_cast<std::size_t>(s * b + i)]);
      rows.push_back(static_cast<int>(k));
      images.row(i) = data.images.row(static_cast<Eigen::Index>(k));
      labels[static_cast<std::size_t>(i)] = data.labels[k];
      if (!unsupervised)
        negs[static_cast<std::size_t>(i)] = random_wrong_label(labels[static_cast<std::size_t>(i)], 10, neg_rng);
    }
    MatRef x = net.input(2 * b);
    if (unsupervised) {
      // The digital trainer's batch: the images as they are, then a hybrid of each.
      x.topRows(b) = images;
      hybrid_negatives(x.bottomRows(b), data.images, rows, masks, neg_rng);
    } else {
      overlay_labels(x.topRows(b), images, labels, coding);
      overlay_labels(x.bottomRows(b), images, negs, coding);
    }
    net.normalise_input();
    Vec target(2 * b);
    target.head(b).setOnes();
    target.tail(b).setZero();
    std::vector<FFStepStats> stats;
    const float lr = p.lr * lr_factor(p.lr_schedule, static_cast<double>(steps + s) / static_cast<double>(2 * steps));
    net.train_all(target, lr, 1.0f / static_cast<float>(2 * b), stats);
  }

  for (int k = 0; k < net.layers(); ++k) {
    Mat w_digital(p.layers[static_cast<std::size_t>(k)], net.layer(k).inputs() + 1);
    net.layer(k).array().read_weights(w_digital);
    const hw::Crossbar& c = chip.tile(k).core();
    Mat w_chip = c.weights_normalised() * static_cast<float>(c.params().w_scale);
    if (pulsed_weights) {
      // C moved by whole steps of its devices, and by some.
      const Mat steps_moved = (c.weights_normalised() - c0[std::size_t(k)]) / float(c.params().device.dw_min);
      CHECK((steps_moved.array() - steps_moved.array().round()).abs().maxCoeff() < 1e-2f);
      CHECK(steps_moved.cwiseAbs().maxCoeff() >= 1.0f);
    }
    if (carry.on()) {
      const hw::Crossbar& fa = chip.extra(k, chip.extra_arrays() - 1);  // the fine array: the last
      const Mat fine = fa.weights_normalised() * static_cast<float>(c.params().w_scale);
      // Some of the last step is still in the fine array, unless every row is carried every step.
      if (carry.every > 1) CHECK(fine.cwiseAbs().maxCoeff() > 1e-4f);
      w_chip += fine / static_cast<float>(carry.factor);
    }
    INFO("layer " << k);
    // The two differ only by the normalisers' epsilon (1e-8 under the root vs 1e-4 on the length).
    if (match)
      CHECK((w_chip - w_digital).cwiseAbs().maxCoeff() < 1e-5f);
    else
      CHECK((w_chip - w_digital).cwiseAbs().maxCoeff() > 1e-4f);
    // and the steps did move the weights
    Mat w0(w_digital.rows(), w_digital.cols());
    make_ff_arrays(p, data.features(), seed)[static_cast<std::size_t>(k)]->read_weights(w0);
    CHECK((w_chip - w0).cwiseAbs().maxCoeff() > 1e-3f);
    // Every copy got the same exact steps.
    for (int i = 1; i < copies; ++i) CHECK(chip.weights(k, i).weights_normalised() == c.weights_normalised());
    if (local_fields) {
      // A pair of devices where a unit sees an input, none elsewhere: 9 fields of 2 units over 4 pixels and the
      // bias, then 4 of 3 units over 4 locations of 2 channels and the bias. The momentum arrays moved too.
      const Mat& present = cp.connectivity[std::size_t(k)];
      CHECK(c.pairs() == (k == 0 ? 9 * 2 * 5 : 4 * 3 * 9));
      CHECK(c.pairs() == static_cast<long long>(present.sum()));
      const auto empty_holds = [&](const hw::Crossbar& a) {
        return (a.weights_normalised().array() * (1.0f - present.array())).abs().maxCoeff();
      };
      CHECK(empty_holds(c) == 0.0f);
      REQUIRE(chip.extra_arrays() == (mu > 0 ? 1 : 0));
      for (int i = 0; i < chip.extra_arrays(); ++i) {
        CHECK(chip.extra(k, i).pairs() == c.pairs());
        CHECK(empty_holds(chip.extra(k, i)) == 0.0f);
        CHECK(chip.extra(k, i).weights_normalised().cwiseAbs().maxCoeff() > 0.0f);
      }
    }
  }
}

}  // namespace

TEST_CASE("on the ideal chip in-situ FF steps change the weights as the digital FF steps do", "[insitu]") {
  check_ideal_steps_match_digital(0.0f);
}

TEST_CASE("on the ideal chip unsupervised FF steps as the digital FF does on the same hybrid negatives",
          "[insitu][hybrid]") {
  check_ideal_steps_match_digital(0.0f, {}, AnalogMomentum{16.0, 1}, "constant", true, -1.0f, false, 1, true);
}

TEST_CASE("on the ideal chip local receptive fields with charge-shared momentum step as the digital FF does, "
          "every empty cross-point still 0", "[insitu][hybrid]") {
  AnalogMomentum am{16.0, 1};
  am.decay = "share";
  check_ideal_steps_match_digital(0.9f, {}, am, "constant", true, -1.0f, false, 1, true, true);
}

TEST_CASE("on the ideal chip supervised FF with local receptive fields steps as the digital FF does", "[insitu]") {
  check_ideal_steps_match_digital(0.0f, {}, AnalogMomentum{16.0, 1}, "constant", true, -1.0f, false, 1, false, true);
}

TEST_CASE("on the ideal chip analog momentum steps change the weights as digital momentum SGD does", "[insitu]") {
  check_ideal_steps_match_digital(0.9f);
}

TEST_CASE("on the ideal chip momentum decayed by charge sharing steps as digital momentum SGD does", "[insitu]") {
  AnalogMomentum am{16.0, 1};
  am.decay = "share";
  check_ideal_steps_match_digital(0.9f, {}, am);
}

TEST_CASE("on the ideal chip analog momentum follows a decaying learning rate as digital momentum SGD does",
          "[insitu]") {
  check_ideal_steps_match_digital(0.9f, {}, AnalogMomentum{16.0, 1}, "halfdecay");
}

TEST_CASE("on the ideal chip analog momentum with the schedule at the gradient departs from digital momentum SGD",
          "[insitu]") {
  AnalogMomentum am{16.0, 1};
  am.lr_at = "gradient";
  check_ideal_steps_match_digital(0.9f, {}, am, "halfdecay", false);
}

// The halfdecay steps run at rates lr and lr / 2: the second step's momentum is half way to the final one.
TEST_CASE("on the ideal chip a momentum rising as the rate decays steps as digital momentum SGD does", "[insitu]") {
  check_ideal_steps_match_digital(0.5f, {}, AnalogMomentum{16.0, 1}, "halfdecay", true, 0.9f);
}

TEST_CASE("on the ideal chip a rising momentum decayed by charge sharing steps as digital momentum SGD does",
          "[insitu]") {
  AnalogMomentum am{16.0, 1};
  am.decay = "share";
  check_ideal_steps_match_digital(0.5f, {}, am, "halfdecay", true, 0.9f);
}

TEST_CASE("on the ideal chip in-situ FF follows a decaying learning rate as the digital FF does", "[insitu]") {
  check_ideal_steps_match_digital(0.0f, {}, AnalogMomentum{16.0, 1}, "halfdecay");
}

TEST_CASE("on the ideal chip periodic carry steps change the weights as digital SGD does", "[insitu]") {
  // 31 input rows (30 features and the bias), carried 8 per step: after two steps rows 0..7 hold what the
  // second step gave them, rows 8..15 nothing, rows 16..30 both steps' changes.
  check_ideal_steps_match_digital(0.0f, FineCarry{8.0, 4});
}

// Analog momentum with a whole-steps carry (the fine array a threshold accumulator between V and W): 8
// rows of the fine array carried per step, as above.
TEST_CASE("on the ideal chip momentum through a threshold accumulator steps as digital momentum SGD does",
          "[insitu]") {
  check_ideal_steps_match_digital(0.9f, FineCarry{8.0, 4, true});
}

// Hidden (forward passes read W alone): on the ideal chip every row carried every step empties it.
TEST_CASE("on the ideal chip momentum through a hidden accumulator carried every step steps as digital momentum "
          "SGD does", "[insitu]") {
  FineCarry carry{8.0, 1, true};
  carry.hidden = true;
  check_ideal_steps_match_digital(0.9f, carry);
}

TEST_CASE("on the ideal chip two copies of every layer's weights each step as the digital FF does", "[insitu]") {
  check_ideal_steps_match_digital(0.0f, {}, AnalogMomentum{16.0, 1}, "constant", true, -1.0f, false, 2);
}

TEST_CASE("on the ideal chip periodic carry into two copies of the weights steps as digital SGD does", "[insitu]") {
  check_ideal_steps_match_digital(0.0f, FineCarry{8.0, 4}, AnalogMomentum{16.0, 1}, "constant", true, -1.0f, false, 2);
}

TEST_CASE("on the ideal chip two copies of every layer's weights each step as digital momentum SGD does",
          "[insitu]") {
  check_ideal_steps_match_digital(0.9f, {}, AnalogMomentum{16.0, 1}, "halfdecay", true, 0.99f, false, 2);
}

TEST_CASE("on pulsed weights a threshold accumulator writes whole steps and the layer's weight still matches",
          "[insitu]") {
  check_ideal_steps_match_digital(0.9f, FineCarry{8.0, 4, true}, AnalogMomentum{16.0, 1}, "constant", true, -1.0f,
                                  true);
}

namespace {

// One PCM training epoch (with analog momentum if mu > 0, periodic carry if on): no ADC conversion on the
// learning path.
void check_training_digitises_nothing(float mu, FineCarry carry = {}, AnalogMomentum am = {}, int copies = 1) {
  const Dataset data = noise_dataset(60, 30, 2);
  FFParams p = small_params();
  p.momentum = mu;
  hw::Ledger ledger;
  hw::ChipParams cp = chip_for("pcm", p, data.features());
  const UpdateRuleParams rule = choose_update_rule(p, am, carry);
  cp.extra_arrays = extra_arrays(rule);
  if (am.share()) cp.set_second_device("capacitor");
  cp.weight_copies = copies;
  hw::Chip chip("chip", cp, ledger, 3);
  const LabelSupervision labelled(data);
  InSituFF insitu(chip, p, labelled, 3, 2, rule);
  insitu.program_initial();
  long long step = 0;
  insitu.train_epoch(1, step, 1);
  for (const auto& c : ledger.counters()) {
    INFO(c.module << " " << c.event);
    if (c.event == "adc_conversion") CHECK(c.count == 0);
  }
  // Only the first layer converts its inputs; the second is driven by the first one's normaliser, and
  // the momentum arrays are read by driving one row at a time.
  int first_layer_dacs = 0;
  for (const auto& c : ledger.counters())
    if (c.event == "dac_conversion") {
      INFO(c.module);
      CHECK((c.module == "chip.layer0.dac" ? c.count > 0 : c.count == 0));
      first_layer_dacs += c.module == "chip.layer0.dac";
    }
  CHECK(first_layer_dacs == 1);
  CHECK(ledger.energy_pj_of_event("pulse") > 0);
  for (int i = 1; i < copies; ++i) {
    // Every copy of the weights is written, by its own pulses.
    double copy_pulses = 0;
    for (const auto& c : ledger.counters())
      if (c.event == "pulse" && c.module.find(fmt::format(".copy{}", i)) != std::string::npos) copy_pulses += c.count;
    CHECK(copy_pulses > 0);
  }
  if (std::holds_alternative<ThresholdAccumulatorParams>(rule)) {
    // The momentum array's transfer goes into the accumulator; the weights get only its whole steps.
    double into_accumulator = 0;
    for (const auto& c : ledger.counters())
      if (c.event == "pulse" && c.module.find(".accumulator") != std::string::npos) into_accumulator += c.count;
    CHECK(into_accumulator > 0);
  }
  if (mu > 0 || carry.on()) CHECK(ledger.energy_pj_of_event("crossbar_read") > 0);  // the second array's rows read
  if (am.share()) {
    // The capacitor momentum array decays by one charge share per step: every one of its cells, no pulse.
    double shares = 0, pulses = 0;
    for (const auto& c : ledger.counters()) {
      if (c.event == "charge_share") shares += c.count;
      if (c.event == "pulse" && c.module.find(".momentum") != std::string::npos) pulses += c.count;
    }
    const double cells = double(chip.extra(0, 0).inputs()) * chip.extra(0, 0).outputs() +
                         double(chip.extra(1, 0).inputs()) * chip.extra(1, 0).outputs();
    CHECK(shares == cells * double(step));
    CHECK(pulses > 0);  // the gradient's pulses still go to V
    CHECK(chip.extra(0, 0).params().device.name == "capacitor");
    CHECK(chip.tile(0).core().params().device.name == "pcm");
  }

  insitu.finish_training();
  for (const auto& c : ledger.counters())
    if (c.event == "adc_conversion") CHECK(c.count == 0);

  insitu.error(data.head(25));
  int label_readouts = 0;
  for (const auto& c : ledger.counters())
    if (c.event == "adc_conversion") {
      INFO(c.module);
      CHECK(c.count == (c.module == "chip.label_readout" ? 25.0 : 0.0));
      label_readouts += c.module == "chip.label_readout";
    }
  CHECK(label_readouts == 1);  // the label's conversions were booked, once
}

}  // namespace

TEST_CASE("in-situ FF training digitises nothing but the label read-out", "[insitu]") {
  check_training_digitises_nothing(0.0f);
}

TEST_CASE("in-situ FF with analog momentum digitises nothing but the label read-out", "[insitu]") {
  check_training_digitises_nothing(0.9f);
}

TEST_CASE("in-situ FF with a capacitor momentum array decayed by charge sharing digitises nothing but the label "
          "read-out", "[insitu]") {
  AnalogMomentum am;
  am.decay = "share";
  check_training_digitises_nothing(0.9f, {}, am);
}

TEST_CASE("in-situ FF with momentum through a threshold accumulator digitises nothing but the label read-out",
          "[insitu]") {
  AnalogMomentum am;
  am.decay = "share";
  check_training_digitises_nothing(0.9f, FineCarry{100.0, 1, true}, am);
}

TEST_CASE("in-situ FF with two copies of the weights beside capacitor momentum digitises nothing but the label "
          "read-out", "[insitu]") {
  AnalogMomentum am;
  am.decay = "share";
  check_training_digitises_nothing(0.9f, {}, am, 2);
}

TEST_CASE("in-situ FF with periodic carry digitises nothing but the label read-out", "[insitu]") {
  check_training_digitises_nothing(0.0f, FineCarry{4.0, 3, true});
}

TEST_CASE("the layers learn concurrently: an epoch takes N batches of the slowest stage plus the rest once",
          "[insitu]") {
  const Dataset data = noise_dataset(100, 30, 3);
  FFParams p = small_params();
  p.batch = 10;
  hw::Ledger ledger;
  hw::Chip chip("chip", chip_for("reram", p, data.features()), ledger, 4);
  const LabelSupervision labelled(data);
  InSituFF insitu(chip, p, labelled, 4);
  insitu.program_initial();
  long long step = 0;
  const nlohmann::json e = insitu.train_epoch(1, step, 10);
  // Stage k holds a batch of `rows` samples for: crossbar read (analog out), ReLU, goodness, sigmoid,
  // the pulsed update, and (all but the last) the normaliser.
  const int rows = 2 * p.batch, batches = data.size() / p.batch;
  const auto stage_ns = [&](int k) {
    const hw::Crossbar& c = chip.tile(k).core();
    double ns = c.forward_time_ns(rows, hw::ForwardIO{k == 0, false}) + c.update_time_ns(rows);
    ns += chip.relu(k).time_ns(rows) + chip.goodness(k).time_ns(rows) + chip.sigmoid(k).time_ns(rows);
    if (k + 1 < chip.layers()) ns += chip.normaliser(k).time_ns(rows);
    return ns;
  };
  const double t0 = stage_ns(0), t1 = stage_ns(1);
  REQUIRE(t0 >= t1);
  CHECK(e["simulated_s"].get<double>() == Approx((batches * t0 + t1) * 1e-9).epsilon(1e-9));
  CHECK(e["simulated_s"].get<double>() < 0.6 * batches * (t0 + t1) * 1e-9);  // versus one layer at a time
  CHECK(e["latency_s"].get<double>() == Approx((t0 + t1) * 1e-9).epsilon(1e-9));
}

TEST_CASE("in-situ options refuse what the chip cannot do", "[insitu]") {
  InSituParams ip;
  ip.device = "graphene";
  CHECK_THROWS_AS(ip.validate(), Error);
  ip = InSituParams{};
  ip.device = "pcm";
  ip.drift_times = {86400, 1};
  CHECK_THROWS_AS(ip.validate(), Error);
  ip = InSituParams{};
  ip.device = "pcm";
  ip.rival = "svm";
  CHECK_THROWS_AS(ip.validate(), Error);
  ip = InSituParams{};
  ip.device = "pcm";
  ip.momentum.every = 0;
  CHECK_THROWS_AS(ip.validate(), Error);
  ip.momentum.every = 1;
  ip.momentum.gain = 0;
  CHECK_THROWS_AS(ip.validate(), Error);
  ip = InSituParams{};
  ip.device = "pcm";
  ip.carry.factor = 0.5;  // a fine array weighing more than the weights
  CHECK_THROWS_AS(ip.validate(), Error);
  ip.carry.factor = 4;
  ip.carry.every = 0;
  CHECK_THROWS_AS(ip.validate(), Error);
  ip = InSituParams{};
  ip.device = "reram";
  ip.momentum.decay = "leak";
  CHECK_THROWS_AS(ip.validate(), Error);
  ip.momentum.decay = "share";
  ip.momentum.every = 10;  // one switch shares every cell: every step
  CHECK_THROWS_WITH(ip.validate(), Catch::Contains("momentum-every must be 1"));
  ip.momentum.every = 1;
  ip.second_device = "graphene";
  CHECK_THROWS_AS(ip.validate(), Error);
  ip.second_device = "capacitor";
  ip.hw = {"second.device.share_noise=0.001"};
  CHECK_NOTHROW(ip.validate());
  ip.second_device.clear();  // no second device: no "second" parameters to set
  CHECK_THROWS_WITH(ip.validate(), Catch::Contains("second.device.share_noise"));
  // Refused before any data is read: Adam and a weight cost (neither is built in situ).
  ip = InSituParams{};
  ip.device = "pcm";
  FFParams p = small_params();
  p.data_dir = "/nonexistent";
  p.optimiser = "adam";
  CHECK_THROWS_WITH(run_insitu_ff(p, ip, {}, 1, "/tmp/unused.json"), Catch::Contains("pulsed SGD"));
  p = small_params();
  p.data_dir = "/nonexistent";
  p.weight_cost = 0.001f;
  CHECK_THROWS_WITH(run_insitu_ff(p, ip, {}, 1, "/tmp/unused.json"), Catch::Contains("weight cost"));
  // A hidden fine array needs a carry.
  FineCarry hidden;
  hidden.hidden = true;
  CHECK_THROWS_WITH(hidden.validate(), Catch::Contains("carry-hidden"));
  // With momentum the carry is a threshold accumulator: whole steps only.
  p = small_params();
  p.data_dir = "/nonexistent";
  p.momentum = 0.9f;
  ip.carry.factor = 4;
  CHECK_THROWS_WITH(run_insitu_ff(p, ip, {}, 1, "/tmp/unused.json"), Catch::Contains("needs --carry-whole"));
  // A second device needs a second array; charge-sharing decay needs momentum.
  ip = InSituParams{};
  ip.device = "reram";
  ip.second_device = "capacitor";
  p = small_params();
  p.data_dir = "/nonexistent";
  CHECK_THROWS_WITH(run_insitu_ff(p, ip, {}, 1, "/tmp/unused.json"), Catch::Contains("second-device"));
  ip.second_device.clear();
  ip.momentum.decay = "share";
  CHECK_THROWS_WITH(run_insitu_ff(p, ip, {}, 1, "/tmp/unused.json"), Catch::Contains("needs analog momentum"));
}

TEST_CASE("charge-sharing decay is refused on momentum arrays that store no charge", "[insitu]") {
  const Dataset data = noise_dataset(40, 30, 5);
  FFParams p = small_params();
  p.momentum = 0.9f;
  hw::Ledger ledger;
  hw::ChipParams cp = chip_for("reram", p, data.features());
  AnalogMomentum am;
  am.decay = "share";
  const UpdateRuleParams rule = choose_update_rule(p, am, {});
  cp.extra_arrays = extra_arrays(rule);  // ReRAM momentum arrays, like the weights
  hw::Chip chip("chip", cp, ledger, 5);
  const LabelSupervision labelled(data);
  CHECK_THROWS_WITH(InSituFF(chip, p, labelled, 5, 2, rule), Catch::Contains("charge-storing cells"));
}

namespace {
// ff_mnist's options parsed from `args`, the in-situ defaults applied: the resolved configuration.
struct Resolved {
  CLI::App app{"test"};
  RunOptions run;
  FFParams p;
  InSituParams ip;
  nlohmann::json config;
  explicit Resolved(std::vector<std::string> args) {
    add_run_options(app, run, "results/x.json");
    p.add_options(app);
    ip.add_options(app);
    std::reverse(args.begin(), args.end());  // CLI11 takes a vector of arguments last first
    app.parse(args);
    config = options_to_json(app);
    apply_insitu_defaults(app, p, ip, config);
  }
};
}  // namespace

TEST_CASE("an in-situ run takes InSituDefaults for every option it was not given, and records them", "[insitu][cli]") {
  const InSituDefaults d;
  Resolved r({"--device", "ecram", "--init-scale", "1.5"});
  CHECK(r.p.negatives == d.negatives);
  CHECK(r.p.predict == d.predict);
  CHECK(r.p.momentum == d.momentum);
  CHECK(r.p.weight_cost == d.weight_cost);
  CHECK(r.p.lr == d.lr);
  CHECK(r.p.init_scale == 1.5f);  // given: it wins
  CHECK(r.config["lr"] == nlohmann::json::parse(fmt::format("{}", d.lr)));
  CHECK(r.config["negatives"] == d.negatives);
  CHECK(r.config["init-scale"] == 1.5);
  // With analog momentum the digital rate stands.
  Resolved m({"--device", "ecram", "--analog-momentum", "0.9"});
  CHECK(m.p.lr == FFParams{}.lr);
}

TEST_CASE("in situ --momentum is analog momentum by its earlier name: both spellings resolve alike", "[insitu][cli]") {
  Resolved by_old({"--device", "reram", "--momentum", "0.9"});
  Resolved by_new({"--device", "reram", "--analog-momentum", "0.9"});
  CHECK(by_old.p.momentum == 0.9f);
  CHECK(by_new.p.momentum == 0.9f);
  CHECK(by_old.ip.analog_momentum == 0.9f);
  CHECK(by_old.config == by_new.config);
  CHECK_THROWS_WITH(Resolved({"--device", "reram", "--momentum", "0.9", "--analog-momentum", "0.5"}),
                    Catch::Contains("analog-momentum") && Catch::Contains("give one"));
}

TEST_CASE("devices per weight by --weight-copies reach the chip as --hw weight_copies does, not both at once",
          "[insitu][cli]") {
  InSituParams ip;
  ip.device = "reram";
  ip.weight_copies = 2;
  ip.hw = {"device.dw_min=0.002"};
  CHECK(ip.hw_overrides() == std::vector<std::string>{"weight_copies=2", "device.dw_min=0.002"});
  ip.validate();
  ip.hw.push_back("weight_copies=3");
  CHECK_THROWS_WITH(ip.validate(), Catch::Contains("weight-copies") && Catch::Contains("give one"));
  InSituParams digital;
  digital.weight_copies = 2;
  CHECK_THROWS_WITH(digital.validate(), Catch::Contains("weight-copies"));
}

TEST_CASE("the help of an option whose in-situ default differs names both defaults", "[insitu][cli]") {
  CLI::App app{"test"};
  FFParams p;
  InSituParams ip;
  p.add_options(app);
  ip.add_options(app);
  const InSituDefaults d;
  CHECK_THAT(app.get_option("--lr")->get_description(),
             Catch::Contains(fmt::format("digital: {}, in situ: {}", FFParams{}.lr, d.lr)));
  CHECK_THAT(app.get_option("--init-scale")->get_description(),
             Catch::Contains(fmt::format("in situ: {}", d.init_scale)));
  CHECK_THAT(app.get_option("--negatives")->get_description(), Catch::Contains("in situ: random"));
}
