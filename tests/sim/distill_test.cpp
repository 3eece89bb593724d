#include "sim/distill.h"

#include <boost/random/uniform_int_distribution.hpp>
#include <boost/random/uniform_real_distribution.hpp>
#include <catch2/catch.hpp>

#include <cmath>
#include <type_traits>

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

double agreement(const Mat& a, const Mat& b) {
  const std::vector<int> x = argmax_rows(a), y = argmax_rows(b);
  int same = 0;
  for (std::size_t i = 0; i < x.size(); ++i) same += x[i] == y[i];
  return double(same) / double(x.size());
}

}  // namespace

// A distilling student's supervision is built from images alone: there is no way to hand it a labelled set.
static_assert(!std::is_constructible_v<TeacherSupervision, const Dataset&, const Mat&, TeacherSupervision::Targets>,
              "a teacher's supervision must not take labelled images");
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

TEST_CASE("a distilling student trains the same whatever labels its images had: it never reads one", "[distill]") {
  const FFParams p = distill_params();
  Dataset a = noise_dataset(100, 30, 2);
  Dataset b = a;
  for (int& l : b.labels) l = (l + 3) % 10;
  Mat probs = Mat::Constant(100, 10, 0.02f);
  for (int i = 0; i < 100; ++i) probs(i, (i * 7) % 10) = 0.82f;
  const UnlabelledImages ua = UnlabelledImages::of(a), ub = UnlabelledImages::of(b);
  const TeacherSupervision sa(ua, probs, TeacherSupervision::Targets::soft);
  const TeacherSupervision sb(ub, probs, TeacherSupervision::Targets::soft);
  hw::Ledger ledger;
  hw::Chip ca("a", ideal_chip(p, 30), ledger, 4), cb("b", ideal_chip(p, 30), ledger, 4);
  InSituFF ta(ca, p, sa, 4), tb(cb, p, sb, 4);
  ta.program_initial();
  tb.program_initial();
  long long step_a = 0, step_b = 0;
  ta.train_epoch(1, step_a, 5);
  tb.train_epoch(1, step_b, 5);
  for (int k = 0; k < ca.layers(); ++k) {
    CHECK(ca.tile(k).core().weights_normalised() == cb.tile(k).core().weights_normalised());
    CHECK(ca.tile(k).core().weights_normalised() != Mat::Zero(p.layers[std::size_t(k)], ca.tile(k).core().inputs()));
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
  ts.program_initial();
  Mat s_student;
  ts.scores(d.images, 10, s_student);
  const double before = agreement(s_student, s_teacher);
  long long step = 0;
  const int epochs = 30;
  for (int e = 1; e <= epochs; ++e) ts.train_epoch(e, step, epochs * 10LL);
  ts.scores(d.images, 10, s_student);
  const double after = agreement(s_student, s_teacher);
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
}
