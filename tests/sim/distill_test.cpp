#include "sim/distill.h"

#include <boost/random/uniform_int_distribution.hpp>
#include <boost/random/uniform_real_distribution.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <utility>

#include "core/error.h"
#include "core/rng.h"
#include "test_util.h"
#include "model/ff_labels.h"

using namespace mortal;

using test::noise_dataset;

namespace {

FFParams distill_params() {
  FFParams p = test::small_insitu_params({24, 16});
  p.init_scale = 2.5f;
  return p;
}

hw::ChipParams ideal_chip(const FFParams& p, int features) {
  std::vector<int> sizes = {features};
  for (int u : p.layers) sizes.push_back(u);
  hw::ChipParams cp = hw::chip_preset("ideal", sizes);
  cp.bias_row = true;
  return cp;
}

// A teacher's probabilities over 100 images: 0.82 on one label each (i * 7 mod 10), 0.02 on the others.
Mat peaked_probabilities() {
  Mat probs = Mat::Constant(100, 10, 0.02f);
  for (int i = 0; i < 100; ++i) probs(i, (i * 7) % 10) = 0.82f;
  return probs;
}

// Two students, each an ideal chip of seed 4, taught one epoch of five steps, a by sa and b by sb; every
// layer's weights as each ends, a's first.
// Each layer's weights on two chips of one seed, programmed alike, after an epoch under supervision `sa` on
// the one and `sb` on the other; `initial` what both were programmed with.
struct TwoStudents {
  std::vector<Mat> initial, a, b;
};
TwoStudents one_epoch_each(const FFParams& p, const FFSupervision& sa, const FFSupervision& sb) {
  hw::Ledger ledger;
  hw::Chip ca("a", ideal_chip(p, sa.features()), ledger, 4), cb("b", ideal_chip(p, sb.features()), ledger, 4);
  InSituFF ta(ca, p, sa, 4), tb(cb, p, sb, 4);
  ta.program_initial();
  tb.program_initial();
  TwoStudents w;
  for (int k = 0; k < ca.layers(); ++k) w.initial.push_back(ca.tile(k).core().weights_normalised());
  long long step_a = 0, step_b = 0;
  ta.train_epoch(1, step_a, 5);
  tb.train_epoch(1, step_b, 5);
  for (int k = 0; k < ca.layers(); ++k) {
    w.a.push_back(ca.tile(k).core().weights_normalised());
    w.b.push_back(cb.tile(k).core().weights_normalised());
  }
  return w;
}

// The same targets for every image: per layer (targets for each layer apart) or one pair for all layers.
class FixedTargets final : public FFSupervision {
 public:
  FixedTargets(const Dataset& d, std::vector<float> positive, std::vector<float> negative, bool per_layer)
      : d_(d), positive_(std::move(positive)), negative_(std::move(negative)), per_layer_(per_layer) {}
  const Mat& images() const override { return d_.images; }
  int classes() const override { return d_.num_classes; }
  void overlays(int i, Rng&, Overlay& positive, Overlay& negative) const override {
    const int label = d_.labels[std::size_t(i)];
    positive = {label, positive_[0], per_layer_ ? positive_ : std::vector<float>{}};
    negative = {(label + 1) % d_.num_classes, negative_[0], per_layer_ ? negative_ : std::vector<float>{}};
  }
  int target_layers() const override { return per_layer_ ? int(positive_.size()) : 0; }

 private:
  const Dataset& d_;
  std::vector<float> positive_, negative_;
  bool per_layer_;
};

double agreement(const Mat& a, const Mat& b) {
  const std::vector<int> x = argmax_rows(a), y = argmax_rows(b);
  int same = 0;
  for (std::size_t i = 0; i < x.size(); ++i) same += x[i] == y[i];
  return double(same) / double(x.size());
}

// A distilling student's agreement with its teacher's choices (s_teacher: the teacher's scores over d's
// images) from its own initial weights, and after 30 epochs of its supervision (10 steps each).
std::pair<double, double> agreement_before_and_after(InSituFF& ts, const Dataset& d, const Mat& s_teacher) {
  ts.program_initial();
  Mat s_student;
  ts.scores(d.images, 10, s_student);
  const double before = agreement(s_student, s_teacher);
  long long step = 0;
  const int epochs = 30;
  for (int e = 1; e <= epochs; ++e) ts.train_epoch(e, step, epochs * 10LL);
  ts.scores(d.images, 10, s_student);
  return {before, agreement(s_student, s_teacher)};
}

}  // namespace

// A distilling student's supervision is built from images alone: there is no way to hand it a labelled set.
static_assert(!std::is_constructible_v<TeacherSupervision, const Dataset&, const Mat&, TeacherSupervision::Targets>,
              "a teacher's supervision must not take labelled images");
static_assert(!std::is_constructible_v<TeacherSupervision, const Dataset&, const Mat&, const std::vector<Mat>&>,
              "a teacher's supervision per layer must not take labelled images");
static_assert(!std::is_convertible_v<const Dataset&, const UnlabelledImages&>, "labelled images are not unlabelled");

TEST_CASE("the teacher's temperature gives the asked mean top probability", "[distill]") {
  Rng rng = make_rng(3, "test.scores");
  boost::random::uniform_real_distribution<float> u(0.0f, 50.0f);
  Mat scores(200, 10);
  for (Eigen::Index i = 0; i < scores.size(); ++i) scores.data()[i] = u(rng);
  const Mat p = softmax_rows(scores, 2.0);
  CHECK((p.rowwise().sum().array() - 1.0f).abs().maxCoeff() < 1e-5f);
  CHECK(argmax_rows(p) == argmax_rows(scores));
  for (double c : {0.3, 0.6, 0.9, 0.99}) {
    const double t = temperature_for(scores, c);
    CHECK(mean_top_probability(scores, t) == Approx(c).epsilon(1e-4));
  }
  // A hotter softmax is less sure.
  CHECK(temperature_for(scores, 0.6) > temperature_for(scores, 0.9));
  CHECK_THROWS_WITH(temperature_for(scores, 0.05), Catch::Contains("confidence"));
  CHECK_THROWS_WITH(softmax_rows(scores, 0), Catch::Contains("temperature"));
}

TEST_CASE("soft targets draw positives from the teacher's probabilities and carry them; hard ones its argmax",
          "[distill]") {
  Dataset d = noise_dataset(2, 4, 1);
  const UnlabelledImages images = UnlabelledImages::of(d);
  Mat probs = Mat::Zero(2, 10);
  probs.row(0) << 0.6f, 0.25f, 0.1f, 0.05f, 0, 0, 0, 0, 0, 0;
  probs.row(1).setConstant(0.1f);
  const TeacherSupervision soft(images, probs, TeacherSupervision::Targets::soft);
  const TeacherSupervision hard(images, probs, TeacherSupervision::Targets::hard);
  Rng rng = make_rng(9, "test.draws");
  const int n = 20000;
  std::vector<int> count(10, 0);
  Overlay pos, neg;
  for (int i = 0; i < n; ++i) {
    soft.overlays(0, rng, pos, neg);
    ++count[std::size_t(pos.label)];
    REQUIRE(pos.target == probs(0, pos.label));
    REQUIRE(neg.target == probs(0, neg.label));
    REQUIRE(neg.label != pos.label);
  }
  // Each label's count is Binomial(n, p): within 5 standard deviations.
  for (int k = 0; k < 10; ++k) {
    const double p = probs(0, k), sd = std::sqrt(n * p * (1 - p));
    CHECK(std::abs(count[std::size_t(k)] - n * p) <= 5 * sd + 1e-9);
  }
  for (int i = 0; i < 100; ++i) {
    hard.overlays(0, rng, pos, neg);
    REQUIRE(pos.label == 0);
    REQUIRE(pos.target == 1.0f);
    REQUIRE(neg.label != 0);
    REQUIRE(neg.target == 0.0f);
  }
}

TEST_CASE("every label's overlay carries the teacher's probability of it (soft-all) or its argmax's one-hot "
          "(hard-all)", "[distill]") {
  Dataset d = noise_dataset(2, 4, 1);
  const UnlabelledImages images = UnlabelledImages::of(d);
  Mat probs = Mat::Zero(2, 10);
  probs.row(0) << 0.05f, 0.25f, 0.6f, 0.1f, 0, 0, 0, 0, 0, 0;
  probs.row(1).setConstant(0.1f);
  const TeacherSupervision soft(images, probs, TeacherSupervision::Targets::soft_all);
  const TeacherSupervision hard(images, probs, TeacherSupervision::Targets::hard_all);
  const TeacherSupervision pairs(images, probs, TeacherSupervision::Targets::soft);
  CHECK(soft.overlays_per_image() == 10);
  CHECK(hard.overlays_per_image() == 10);
  CHECK(pairs.overlays_per_image() == 2);
  Rng rng = make_rng(9, "test.draws"), untouched = rng;
  std::vector<Overlay> ov;
  soft.overlays(0, rng, ov);
  REQUIRE(ov.size() == 10);
  for (int c = 0; c < 10; ++c) {
    CHECK(ov[std::size_t(c)].label == c);
    CHECK(ov[std::size_t(c)].target == probs(0, c));
  }
  hard.overlays(0, rng, ov);
  REQUIRE(ov.size() == 10);
  for (int c = 0; c < 10; ++c) CHECK(ov[std::size_t(c)].target == (c == 2 ? 1.0f : 0.0f));
  CHECK(rng == untouched);  // nothing is drawn
  Overlay pos, neg;
  CHECK_THROWS_WITH(soft.overlays(0, rng, pos, neg), Catch::Contains("gives 10 per image, not two"));
  // The pair supervision through the vector call: its positive and negative, as the pair call draws them.
  Rng r1 = make_rng(3, "test.pairs"), r2 = r1;
  pairs.overlays(0, r1, ov);
  pairs.overlays(0, r2, pos, neg);
  REQUIRE(ov.size() == 2);
  CHECK((ov[0].label == pos.label && ov[0].target == pos.target && ov[1].label == neg.label &&
         ov[1].target == neg.target));
}

TEST_CASE("every label's overlay weighted as the drawn pairs hold it in expectation (soft-expected, "
          "hard-expected)",
          "[distill]") {
  Dataset d = noise_dataset(1, 4, 1);
  const UnlabelledImages images = UnlabelledImages::of(d);
  Mat probs = Mat::Zero(1, 10);
  probs.row(0) << 0.05f, 0.25f, 0.6f, 0.1f, 0, 0, 0, 0, 0, 0;
  const TeacherSupervision expected(images, probs, TeacherSupervision::Targets::soft_expected);
  const TeacherSupervision hard(images, probs, TeacherSupervision::Targets::hard_expected);
  const TeacherSupervision pairs(images, probs, TeacherSupervision::Targets::soft);
  CHECK(expected.weighted());
  CHECK(hard.weighted());
  CHECK_FALSE(pairs.weighted());
  CHECK(expected.overlays_per_image() == 10);
  Rng rng = make_rng(9, "test.draws"), untouched = rng;
  std::vector<Overlay> ov;
  expected.overlays(0, rng, ov);
  REQUIRE(ov.size() == 10);
  CHECK(rng == untouched);  // nothing is drawn
  // How often drawn pairs put each label in either slot, over n pairs: label c's share of the 2n overlays
  // has binomial noise of at most sqrt(0.25 / n) in each slot's count; 5 of those bound the difference.
  const int n = 100000;
  std::vector<double> slot(10, 0.0);
  Rng draws = make_rng(4, "test.pairs");
  Overlay pos, neg;
  for (int i = 0; i < n; ++i) {
    pairs.overlays(0, draws, pos, neg);
    slot[std::size_t(pos.label)] += 1;
    slot[std::size_t(neg.label)] += 1;
  }
  double sum = 0;
  for (int c = 0; c < 10; ++c) {
    CAPTURE(c);
    CHECK(ov[std::size_t(c)].target == probs(0, c));
    // Weights average 1 over the 10 rows: label c's weight is 10 / 2 times its share of a pair.
    CHECK(ov[std::size_t(c)].weight / 5.0 == Approx(slot[std::size_t(c)] / n).margin(5 * 2 * std::sqrt(0.25 / n)));
    sum += ov[std::size_t(c)].weight;
  }
  CHECK(sum == Approx(10.0).epsilon(1e-6));
  hard.overlays(0, rng, ov);
  for (int c = 0; c < 10; ++c) {
    CAPTURE(c);
    CHECK(ov[std::size_t(c)].target == (c == 2 ? 1.0f : 0.0f));
    CHECK(ov[std::size_t(c)].weight == Approx(c == 2 ? 5.0 : 5.0 / 9.0));
  }
}

namespace {
// A student taught by every label's overlay of `targets` comes to agree with its teacher's choices.
void every_label_student_learns(TeacherSupervision::Targets targets) {
  FFParams p = distill_params();
  p.lr = 0.02f;
  const Dataset d = noise_dataset(200, 30, 5);
  const LabelSupervision labelled(d);
  hw::Ledger ledger;
  hw::Chip teacher("teacher", ideal_chip(p, 30), ledger, 11), student("student", ideal_chip(p, 30), ledger, 14);
  const UnlabelledImages images = UnlabelledImages::of(d);
  Mat probs;  // read when batches are drawn
  const TeacherSupervision every(images, probs, targets);
  // Both trainers (SystemC modules) before either chip runs.
  InSituFF tt(teacher, p, labelled, 11), ts(student, p, every, 14);
  tt.program_initial();
  Mat s_teacher;
  tt.scores(d.images, 10, s_teacher);
  probs = softmax_rows(s_teacher, temperature_for(s_teacher, 0.9));
  const auto [before, after] = agreement_before_and_after(ts, d, s_teacher);
  INFO("agreement with the teacher's choice before " << before << ", after " << after);
  CHECK(after >= before + 0.3);
}
}  // namespace

TEST_CASE("a student taught on every label's overlay learns the teacher's choices from the images alone",
          "[distill]") {
  every_label_student_learns(TeacherSupervision::Targets::soft_all);
}

TEST_CASE("a student taught on every label's overlay weighted as the pairs are learns the teacher's choices",
          "[distill]") {
  every_label_student_learns(TeacherSupervision::Targets::soft_expected);
}

TEST_CASE("a distilling student trains the same whatever labels its images had: it never reads one", "[distill]") {
  const FFParams p = distill_params();
  Dataset a = noise_dataset(100, 30, 2);
  Dataset b = a;
  for (int& l : b.labels) l = (l + 3) % 10;
  const Mat probs = peaked_probabilities();
  const UnlabelledImages ua = UnlabelledImages::of(a), ub = UnlabelledImages::of(b);
  const TeacherSupervision sa(ua, probs, TeacherSupervision::Targets::soft);
  const TeacherSupervision sb(ub, probs, TeacherSupervision::Targets::soft);
  const TwoStudents w = one_epoch_each(p, sa, sb);
  for (std::size_t k = 0; k < w.a.size(); ++k) {
    CHECK(w.a[k] == w.b[k]);
    CHECK(w.a[k] != w.initial[k]);  // they learned: equal because the labels were never read, not unmoved
  }
}

TEST_CASE("between ideal chips weight copy reproduces the teacher's outputs exactly, conductance copy to float "
          "rounding, and distillation moves the student toward them",
          "[distill]") {
  FFParams p = distill_params();
  const Dataset d = noise_dataset(200, 30, 5);
  const LabelSupervision labelled(d);
  hw::Ledger ledger;
  hw::Chip teacher("teacher", ideal_chip(p, 30), ledger, 11), copied("copied", ideal_chip(p, 30), ledger, 12),
      conducted("conducted", ideal_chip(p, 30), ledger, 13), student("student", ideal_chip(p, 30), ledger, 14);
  const UnlabelledImages images = UnlabelledImages::of(d);
  Mat probs;
  const TeacherSupervision soft(images, probs, TeacherSupervision::Targets::soft);
  InSituFF tt(teacher, p, labelled, 11), tc(copied, p, labelled, 12), tk(conducted, p, labelled, 13);
  FFParams sp = p;
  sp.lr = 0.02f;
  InSituFF ts(student, sp, soft, 14);
  tt.program_initial();
  hw::FastRng rng(1, "test.copy");
  copy_weights(teacher, copied, rng);
  copy_conductances(teacher, conducted);
  Mat s_teacher, s_copied, s_conducted;
  tt.scores(d.images, 10, s_teacher);
  tc.scores(d.images, 10, s_copied);
  tk.scores(d.images, 10, s_conducted);
  CHECK(s_copied == s_teacher);
  // The conductance difference in conductance units and back: equal to float rounding.
  INFO("largest difference of conductance-copied scores " << (s_conducted - s_teacher).cwiseAbs().maxCoeff());
  CHECK((s_conducted - s_teacher).cwiseAbs().maxCoeff() <= 1e-5f * s_teacher.cwiseAbs().maxCoeff());

  // The student, from its own initial weights, learns the teacher's probabilities from the images alone.
  probs = softmax_rows(s_teacher, temperature_for(s_teacher, 0.9));
  const auto [before, after] = agreement_before_and_after(ts, d, s_teacher);
  INFO("agreement with the teacher's choice before " << before << ", after " << after);
  CHECK(after >= before + 0.3);
}

TEST_CASE("the variability scale multiplies every spread and stuck rate, and is refused where it cannot hold",
          "[distill]") {
  const hw::ChipParams base = hw::chip_preset("reram", {10, 5});
  Perturbation s;
  s.scale = 2;
  hw::ChipParams c = base;
  perturb(c, s);
  CHECK(c.crossbar.device.dw_min_dtod == Approx(2 * base.crossbar.device.dw_min_dtod));
  CHECK(c.crossbar.device.w_bounds_dtod == Approx(2 * base.crossbar.device.w_bounds_dtod));
  CHECK(c.crossbar.device.stuck_gmin_rate == Approx(2 * s.stuck_rate));
  CHECK(c.crossbar.device.stuck_gmax_rate == Approx(2 * s.stuck_rate));
  for (const hw::AnalogParams* a : {&c.relu, &c.normaliser, &c.goodness, &c.sigmoid, &c.crossbar.adc.analog,
                                    &c.crossbar.dac.analog}) {
    CHECK(a->gain_dtod == Approx(2 * s.gain_dtod));
    CHECK(a->offset_dtod == Approx(2 * s.offset_dtod));
  }
  // A pulse generator's offset would be a firing probability with no signal: only its gain spreads.
  CHECK(c.crossbar.pulse_gen.gain_dtod == Approx(2 * s.gain_dtod));
  CHECK(c.crossbar.pulse_gen.offset_dtod == 0);
  s.scale = 0;
  c = base;
  perturb(c, s);
  CHECK(c.crossbar.device.dw_min_dtod == 0);
  CHECK(c.crossbar.device.stuck_gmax_rate == 0);
  CHECK(c.relu.gain_dtod == 0);
  s.scale = 200;
  CHECK_THROWS_WITH(perturb(c, s), Catch::Contains("perturb-stuck"));
  s.scale = -1;
  CHECK_THROWS_WITH(s.validate(), Catch::Contains("perturb"));
}

TEST_CASE("distillation settings are refused by name", "[distill]") {
  DistillParams d;
  d.methods = {"soft", "telepathy"};
  CHECK_THROWS_WITH(d.validate(), Catch::Contains("telepathy"));
  d.methods = {"soft", "soft"};
  CHECK_THROWS_WITH(d.validate(), Catch::Contains("twice"));
  d = {};
  d.confidence = 1;
  CHECK_THROWS_WITH(d.validate(), Catch::Contains("confidence"));
  d = {};
  d.student_device = "unobtainium";
  CHECK_THROWS_WITH(d.validate(), Catch::Contains("unobtainium"));
  d = {};
  d.transfer = -5;
  CHECK_THROWS_WITH(d.validate(), Catch::Contains("transfer"));
  d = {};
  d.ages = {0, 365, 30};
  CHECK_THROWS_WITH(d.validate(), Catch::Contains("ages must increase, got 30 after 365"));
  d.ages = {-1};
  CHECK_THROWS_WITH(d.validate(), Catch::Contains("-1 days is not an age"));
  d = {};
  d.teacher_stuck_per_day = 1e-4;
  CHECK_THROWS_WITH(d.validate(), Catch::Contains("needs --ages"));
  d.ages = {0, 365};
  CHECK_NOTHROW(d.validate());
  d.life_method = "labels";
  CHECK_THROWS_WITH(d.validate(), Catch::Contains("life-method"));
  // What a distillation's chips cannot be: unsupervised (no label overlay to score), or of local fields.
  FFParams p = test::small_insitu_params({16, 12});
  InSituParams ip;
  ip.device = "ecram";
  CHECK_NOTHROW(distill_rule(p, ip));
  p.negatives = "hybrid";
  p.predict = "softmax";
  CHECK_THROWS_WITH(distill_rule(p, ip), Catch::Contains("negatives hybrid"));
  p = test::small_insitu_params({32, 18});
  p.receptive_fields = {"10/6", "2/1"};
  CHECK_THROWS_WITH(distill_rule(p, ip), Catch::Contains("receptive-fields 10/6,2/1"));
}

TEST_CASE("targets per layer reach their own layer: each learns as if every layer had its target", "[distill]") {
  FFParams p = distill_params();
  const Dataset d = noise_dataset(20, 30, 6);
  p.batch = d.size();  // one batch: every layer sees the inputs it would see whatever the others learn
  const FixedTargets per_layer(d, {0.9f, 0.1f}, {0.2f, 0.7f}, true);
  const FixedTargets first(d, {0.9f}, {0.2f}, false), second(d, {0.1f}, {0.7f}, false);
  hw::Ledger ledger;
  hw::Chip ca("a", ideal_chip(p, 30), ledger, 4), cb("b", ideal_chip(p, 30), ledger, 4),
      cc("c", ideal_chip(p, 30), ledger, 4);
  InSituFF ta(ca, p, per_layer, 4), tb(cb, p, first, 4), tc(cc, p, second, 4);
  Mat before = ca.tile(1).core().weights_normalised();
  for (InSituFF* t : {&ta, &tb, &tc}) {
    t->program_initial();
    long long step = 0;
    t->train_epoch(1, step, 1);
  }
  // Layer 0 learned towards 0.9 / 0.2 as the chip whose every layer did, layer 1 towards 0.1 / 0.7.
  CHECK(ca.tile(0).core().weights_normalised() == cb.tile(0).core().weights_normalised());
  CHECK(ca.tile(1).core().weights_normalised() == cc.tile(1).core().weights_normalised());
  CHECK(ca.tile(0).core().weights_normalised() != cc.tile(0).core().weights_normalised());
  CHECK(ca.tile(1).core().weights_normalised() != cb.tile(1).core().weights_normalised());
}

TEST_CASE("a supervision with targets for another number of layers than the chip's is refused", "[distill]") {
  const FFParams p = distill_params();
  const Dataset d = noise_dataset(20, 30, 6);
  const FixedTargets three(d, {0.9f, 0.5f, 0.1f}, {0.2f, 0.5f, 0.7f}, true);
  hw::Ledger ledger;
  hw::Chip chip("a", ideal_chip(p, 30), ledger, 4);
  CHECK_THROWS_WITH(InSituFF(chip, p, three, 4), Catch::Contains("targets for 3 layers, but the chip has 2"));
}

TEST_CASE("targets per layer draw the overlays of soft targets and carry the teacher's layers' probabilities",
          "[distill]") {
  Dataset d = noise_dataset(3, 4, 1);
  const UnlabelledImages images = UnlabelledImages::of(d);
  Mat probs = Mat::Constant(3, 10, 0.1f);
  probs.row(1) << 0.5f, 0.2f, 0.1f, 0.1f, 0.1f, 0, 0, 0, 0, 0;
  std::vector<Mat> layer_probs(2, Mat(3, 10));
  for (int l = 0; l < 2; ++l)
    for (int c = 0; c < 10; ++c) layer_probs[std::size_t(l)].col(c).setConstant(0.01f * float(10 * l + c));
  const TeacherSupervision soft(images, probs, TeacherSupervision::Targets::soft);
  const TeacherSupervision layered(images, probs, layer_probs);
  CHECK(soft.target_layers() == 0);
  CHECK(layered.target_layers() == 2);
  CHECK_THROWS_WITH(TeacherSupervision(images, probs, TeacherSupervision::Targets::layers),
                    Catch::Contains("layers' probabilities"));
  Rng ra = make_rng(9, "test.draws"), rb = make_rng(9, "test.draws");
  Overlay sp, sn, lp, ln;
  for (int n = 0; n < 200; ++n) {
    soft.overlays(1, ra, sp, sn);
    layered.overlays(1, rb, lp, ln);
    REQUIRE(lp.label == sp.label);
    REQUIRE(ln.label == sn.label);
    REQUIRE(sp.layers.empty());
    REQUIRE(lp.layers.size() == 2);
    for (int l = 0; l < 2; ++l) {
      REQUIRE(lp.layers[std::size_t(l)] == layer_probs[std::size_t(l)](1, lp.label));
      REQUIRE(ln.layers[std::size_t(l)] == layer_probs[std::size_t(l)](1, ln.label));
    }
  }
}

TEST_CASE("a student taught per layer trains the same whatever labels its images had", "[distill]") {
  const FFParams p = distill_params();
  Dataset a = noise_dataset(100, 30, 2);
  Dataset b = a;
  for (int& l : b.labels) l = (l + 3) % 10;
  const Mat probs = peaked_probabilities();
  std::vector<Mat> layer_probs = {Mat::Constant(100, 10, 0.3f), Mat::Constant(100, 10, 0.6f)};
  for (int i = 0; i < 100; ++i) layer_probs[1](i, (i * 7) % 10) = 0.95f;
  const UnlabelledImages ua = UnlabelledImages::of(a), ub = UnlabelledImages::of(b);
  const TeacherSupervision sa(ua, probs, layer_probs), sb(ub, probs, layer_probs);
  const TwoStudents w = one_epoch_each(p, sa, sb);
  for (std::size_t k = 0; k < w.a.size(); ++k) {
    CHECK(w.a[k] == w.b[k]);
    CHECK(w.a[k] != w.initial[k]);
  }
}

TEST_CASE("a teacher's layers' probabilities are its sigmoid units' outputs, one per layer and label", "[distill]") {
  const FFParams p = distill_params();
  const Dataset d = noise_dataset(50, 30, 7);
  const LabelSupervision labelled(d);
  hw::Ledger ledger;
  hw::Chip chip("t", ideal_chip(p, 30), ledger, 5);
  InSituFF t(chip, p, labelled, 5);
  t.program_initial();
  std::vector<Mat> probs;
  t.layer_probabilities(d.images, 10, probs);
  REQUIRE(probs.size() == 2);
  Mat scores;
  t.scores(d.images, 10, scores);
  for (const Mat& pl : probs) {
    CHECK(pl.rows() == 50);
    CHECK(pl.cols() == 10);
    CHECK(pl.minCoeff() >= 0.0f);
    CHECK(pl.maxCoeff() <= 1.0f);
  }
  // The score reads the last layer's goodness alone (the default read-out of two layers): on an ideal chip
  // that layer's probability is sigmoid((score - theta) / T), as the in-situ trainer's sigmoid unit gives it.
  REQUIRE(t.chosen() == std::vector<int>{1});
  const FFObjective& obj = p.layer_params().objective;
  const float theta = obj.sign() * obj.threshold(16);
  const Mat expected = (1.0f / (1.0f + (-(scores.array() - theta) / obj.temperature).exp())).matrix();
  INFO("largest difference " << (probs[1] - expected).cwiseAbs().maxCoeff());
  CHECK((probs[1] - expected).cwiseAbs().maxCoeff() < 1e-5f);
}

TEST_CASE("soft-layers is refused by name for a student of another depth than the teacher's", "[distill]") {
  const FFParams p = distill_params();
  InSituParams ip;
  ip.device = "ideal";
  ip.rival = "none";
  DistillParams dp;
  dp.methods = {"soft", "soft-layers"};
  dp.student_layers = {24};
  Checkpointing ck;
  ck.path = "distill_depth_test.ckpt";
  CHECK_THROWS_WITH(run_distill(p, ip, dp, ck, 3, "distill_depth_test.json"),
                    Catch::Contains("method soft-layers: the student has 1 layers (24), the teacher 2 (24,16)"));
  dp.methods = {"soft-layers", "telepathy"};
  CHECK_THROWS_WITH(dp.validate(), Catch::Contains("known: labels, weight-copy, conductance-copy, hard, soft, "
                                                   "copy+soft, soft-layers"));
  CHECK(std::find(distill_methods().begin(), distill_methods().end(), "soft-layers") == distill_methods().end());
}
