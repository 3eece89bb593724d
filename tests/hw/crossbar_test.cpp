#include "hw/crossbar.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "core/checkpoint.h"
#include "core/error.h"
#include "core/parallel.h"

using namespace mortal;
using namespace mortal::hw;

namespace {

double mean_of(const Eigen::ArrayXd& v) { return v.mean(); }
double var_of(const Eigen::ArrayXd& v) { return (v - v.mean()).square().sum() / double(v.size() - 1); }

// A crossbar with every effect off, pulsed updates and a constant-step device without spread.
CrossbarParams clean_pulsed() {
  CrossbarParams p = ideal_crossbar();
  p.update.kind = UpdateKind::pulsed;
  p.device.w_min = -10;
  p.device.w_max = 10;
  p.device.dw_min = 0.01;
  return p;
}

double median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + long(v.size() / 2), v.end());
  return v[v.size() / 2];
}

}  // namespace

TEST_CASE("an all-ideal tiled crossbar reproduces the digital product and update exactly", "[crossbar]") {
  Ledger ledger;
  Crossbar xb("xb", ideal_crossbar(), ledger, 300, 784, 1);
  CHECK(xb.row_tiles() == 4);
  CHECK(xb.col_tiles() == 2);
  FastRng rng(1, "test");
  Mat w = Mat::Random(300, 784), x = Mat::Random(64, 784), d = Mat::Random(64, 300);
  xb.program(w, 0.0, rng);
  Mat z(64, 300), zref(64, 300);
  xb.forward(z, x, 1.0, rng);
  zref.noalias() = x * w.transpose();
  INFO("largest difference " << (z - zref).cwiseAbs().maxCoeff());
  CHECK(z == zref);

  xb.update(x, d, 0.01f, 2.0, rng);
  w.noalias() += 0.01f * d.transpose() * x;
  Mat back(300, 784);
  xb.read_weights(back, 3.0);
  INFO("largest weight difference " << (back - w).cwiseAbs().maxCoeff());
  CHECK(back == w);
}

TEST_CASE("crossbar parameters are rejected by name", "[crossbar]") {
  Ledger ledger;
  CrossbarParams p = ideal_crossbar();
  p.dac.bits = 0;
  CHECK_THROWS_WITH(Crossbar("xb", p, ledger, 4, 4, 1), Catch::Contains("dac.bits"));
  p = ideal_crossbar();
  p.update.bl = 0;
  CHECK_THROWS_WITH(Crossbar("xb", p, ledger, 4, 4, 1), Catch::Contains("update.bl"));
  p = ideal_crossbar();
  p.out_noise = -1;
  CHECK_THROWS_WITH(Crossbar("xb", p, ledger, 4, 4, 1), Catch::Contains("out_noise"));
  p = ideal_crossbar();
  p.device.g_max_us = 0.0;
  CHECK_THROWS_WITH(Crossbar("xb", p, ledger, 4, 4, 1), Catch::Contains("g_max_us"));
}

TEST_CASE("programming noise follows the PCM sigma(g) polynomial", "[crossbar]") {
  Ledger ledger;
  CrossbarParams p = ideal_crossbar();
  p.device = pcm_device();
  p.device.drift = false;
  p.device.read_noise_1f = false;
  p.device.g_min_us = 5.0;
  p.program.max_iterations = 1;
  const int n = 100;
  Crossbar xb("xb", p, ledger, n, n, 3);
  FastRng rng(3, "prog");
  const double gu = p.device.g_unit_us();
  // Targets at least 5 sd above g_min, so only the idle device of each pair (at g_min) is clamped.
  for (double g_target : {10.0, 15.0, 20.0}) {
    const float w_t = float((g_target - p.device.g_min_us) / gu);
    Mat target = Mat::Constant(n, n, w_t);
    xb.program(target, 0.0, rng);
    Eigen::ArrayXd err = ((xb.weights_normalised().array() - w_t) * float(gu)).cast<double>().reshaped();
    // w g_unit = G+ - G-: G+ ~ N(g, s_on^2); the idle G- = g_min + max(0, s_off N(0,1)) (clamped at
    // g_min), with mean s_off / sqrt(2 pi) and variance s_off^2 (1/2 - 1/(2 pi)).
    const double s_on = pcm_prog_sigma_us(p.device.prog_noise, g_target, p.device.g_max_us);
    const double s_off = pcm_prog_sigma_us(p.device.prog_noise, p.device.g_min_us, p.device.g_max_us);
    const double pi = 3.14159265358979;
    const double want = std::sqrt(s_on * s_on + s_off * s_off * (0.5 - 0.5 / pi));
    const double want_mean = -s_off / std::sqrt(2 * pi);
    const double got = std::sqrt(var_of(err));
    INFO("g " << g_target << " sd " << got << " want " << want << " mean " << mean_of(err) << " want "
              << want_mean);
    CHECK(std::abs(mean_of(err) - want_mean) < 5 * want / n);
    CHECK(std::abs(got - want) < 5 * want / std::sqrt(2.0 * n * n));
  }
}

TEST_CASE("program-and-verify brings every device within tolerance", "[crossbar]") {
  Ledger ledger;
  CrossbarParams p = ideal_crossbar();
  p.device = pcm_device();
  p.device.drift = false;
  p.device.read_noise_1f = false;
  p.program.tolerance = 0.03;
  p.program.max_iterations = 30;
  Crossbar xb("xb", p, ledger, 64, 64, 4);
  FastRng rng(4, "prog");
  Mat target = Mat::Random(64, 64) * 0.8f;
  xb.program(target, 0.0, rng);
  // One round succeeds with probability > 0.5 for sigma_w <= 0.05 (sigma(g) <= 1.06 uS over 25 uS);
  // 30 rounds leave < 1e-9 of the devices outside.
  CHECK((xb.weights_normalised() - target).cwiseAbs().maxCoeff() <= 0.03f + 1e-6f);
  CHECK(ledger.at(ledger.counter("xb", "program_pulse", 1.0)).count > 2.0 * 64 * 64);
}

TEST_CASE("median conductance drift follows the PCM nu statistics", "[crossbar]") {
  Ledger ledger;
  CrossbarParams p = ideal_crossbar();
  p.device = pcm_device();
  p.device.prog_noise_scale = 0;
  p.device.read_noise_1f = false;
  const int n = 100;
  Crossbar xb("xb", p, ledger, n, n, 5);
  FastRng rng(5, "drift");
  xb.program(Mat::Constant(n, n, 0.5f), 100.0, rng);  // G+ = 12.5 uS, x = 0.5
  // nu ~ |N(mu(0.5), sd(0.5))|: mu = max(0.0351, 0.049) = 0.049, sd = max(0.0028, 0.008) = 0.008. The
  // median of nu is mu (folding is 6 sd away); the sample median's standard error is 1.2533 sd / sqrt(N).
  const double mu = pcm_drift_nu_mean(0.5), sd = pcm_drift_nu_sd(0.5);
  const double tol_nu = 5 * 1.2533 * sd / n;
  Mat gp(n, n), gm(n, n);
  for (double dt : {3600.0, 86400.0}) {
    xb.conductances(gp, gm, 100.0 + dt);
    std::vector<double> ratio(gp.data(), gp.data() + gp.size());
    for (auto& r : ratio) r /= 12.5;
    const double f = (dt + 20.0) / 20.0;
    const double got = median(ratio);
    INFO("dt " << dt << " median g/g_p " << got << " want " << std::pow(f, -mu));
    CHECK(got <= std::pow(f, -(mu - tol_nu)));
    CHECK(got >= std::pow(f, -(mu + tol_nu)));
  }
}

TEST_CASE("1/f read noise grows as ln((t + t_read) / (2 t_read)) since programming", "[crossbar]") {
  Ledger ledger;
  CrossbarParams p = ideal_crossbar();
  p.device = pcm_device();
  p.device.prog_noise_scale = 0;
  p.device.drift = false;
  const int n = 4000;
  Crossbar xb("xb", p, ledger, n, 1, 6);
  FastRng rng(6, "1f");
  xb.program(Mat::Constant(n, 1, 0.4f), 0.0, rng);  // G+ = 10 uS, x = 0.4
  const double tr = 250e-9, gu = p.device.g_unit_us();
  const double q = pcm_1f_q(0.4);
  Mat x = Mat::Ones(1, 1), z(1, n);
  for (double t : {1e-3, 1e3}) {
    // sigma_w = g Q sqrt(ln((t + t_r) / (2 t_r))) / g_unit (the idle device at g = 0 adds nothing).
    const double want = 10.0 * q * std::sqrt(std::log((t + tr) / (2 * tr))) / gu;
    xb.forward(z, x, t, rng);
    Eigen::ArrayXd err = (z.array() - 0.4f).cast<double>().transpose();
    const double got = std::sqrt(var_of(err));
    INFO("t " << t << " sd " << got << " want " << want);
    // Sample sd's standard error is about sd / sqrt(2N).
    CHECK(std::abs(got - want) < 5 * want / std::sqrt(2.0 * n));
    CHECK(xb.read_variance(t)(0, 0) == Approx(want * want).epsilon(1e-4));
  }
}

TEST_CASE("column-sum read noise agrees in distribution with per-device read noise", "[crossbar]") {
  Ledger ledger;
  CrossbarParams p = ideal_crossbar();
  p.device.read_noise_rel = 0.05;
  p.device.g_min_us = 1.0;
  const int in = 32, out = 3, reps = 3000;
  Crossbar xb("xb", p, ledger, out, in, 7);
  FastRng rng(7, "read");
  Mat w = Mat::Random(out, in);
  xb.program(w, 0.0, rng);
  Mat x = Mat::Random(1, in);
  const Mat& var = xb.read_variance(0.0);
  Eigen::ArrayXd want = ((x.array().square()).matrix() * var.transpose()).cast<double>().transpose().array();
  Mat zref = x * w.transpose();
  Mat z(1, out);
  Eigen::ArrayXXd fast(reps, out), exact(reps, out);
  for (int r = 0; r < reps; ++r) {
    xb.forward(z, x, 0.0, rng);
    fast.row(r) = (z - zref).cast<double>().array();
    xb.forward_per_device(z, x, 0.0, rng);
    exact.row(r) = (z - zref).cast<double>().array();
  }
  for (int j = 0; j < out; ++j) {
    const double sd = std::sqrt(want[j]);
    for (const auto* m : {&fast, &exact}) {
      Eigen::ArrayXd col = m->col(j);
      INFO("output " << j << " var " << var_of(col) << " want " << want[j]);
      CHECK(std::abs(mean_of(col)) < 5 * sd / std::sqrt(reps));
      CHECK(std::abs(var_of(col) / want[j] - 1) < 5 * std::sqrt(2.0 / reps));
    }
  }
}

TEST_CASE("the expected pulsed update equals lr d^T x within its binomial bound", "[crossbar]") {
  const int in = 6, out = 5, batch = 3, reps = 1500;
  Mat x = Mat::Random(batch, in), d = Mat::Random(batch, out);
  const float lr = 0.05f;
  const Mat want = lr * d.transpose() * x;
  // Expected coincidences per device: BL sum_b p q = lr sum_b |x d| / dw_min (no clipping here).
  const CrossbarParams p = clean_pulsed();
  const Mat mu_tot = (lr / float(p.device.dw_min)) * d.cwiseAbs().transpose() * x.cwiseAbs();
  for (UpdateMode mode : {UpdateMode::sampled_counts, UpdateMode::pulse_by_pulse}) {
    CrossbarParams q = p;
    q.update.mode = mode;
    Ledger ledger;
    Crossbar xb("xb", q, ledger, out, in, 8);
    FastRng rng(8, "pulsed");
    Mat sum = Mat::Zero(out, in);
    for (int r = 0; r < reps; ++r) {
      xb.program(Mat::Zero(out, in), 0.0, rng);
      xb.update(x, d, lr, 0.0, rng);
      sum += xb.weights_normalised();
    }
    const Mat mean = sum / float(reps);
    // Var(dw) = dw_min^2 Var(up - down) <= dw_min^2 mu_tot: allow 5 standard errors of the mean.
    const Mat bound = 5 * float(p.device.dw_min) * (mu_tot / float(reps)).cwiseSqrt();
    INFO("mode " << int(mode) << " largest |mean - lr d^T x| " << (mean - want).cwiseAbs().maxCoeff());
    CHECK(((mean - want).cwiseAbs().array() <= bound.array()).all());
  }
}

TEST_CASE("sampled pulse counts and pulse-by-pulse updates agree in distribution", "[crossbar]") {
  // A soft-bounds device with cycle-to-cycle noise, from a non-zero start so the bounds matter.
  const int in = 4, out = 4, batch = 8, reps = 2000;
  CrossbarParams p = ideal_crossbar();
  p.update.kind = UpdateKind::pulsed;
  p.device.response = SoftBounds{};
  p.device.dw_min = 0.005;
  p.device.dw_min_c2c = 0.3;
  p.device.w_min = -0.5;
  p.device.w_max = 0.5;
  Mat x = Mat::Random(batch, in).cwiseAbs(), d = Mat::Random(batch, out);
  Mat w0 = Mat::Constant(out, in, 0.3f);
  const float lr = 0.01f;
  Eigen::ArrayXXd res[2] = {Eigen::ArrayXXd(reps, out * in), Eigen::ArrayXXd(reps, out * in)};
  int k = 0;
  for (UpdateMode mode : {UpdateMode::sampled_counts, UpdateMode::pulse_by_pulse}) {
    CrossbarParams q = p;
    q.update.mode = mode;
    Ledger ledger;
    Crossbar xb("xb", q, ledger, out, in, 9);
    FastRng rng(9, "agree", std::uint64_t(k));
    for (int r = 0; r < reps; ++r) {
      xb.program(w0, 0.0, rng);
      xb.update(x, d, lr, 0.0, rng);
      res[k].row(r) = xb.weights_normalised().cast<double>().reshaped<Eigen::RowMajor>().transpose().array();
    }
    ++k;
  }
  for (int c = 0; c < out * in; ++c) {
    const Eigen::ArrayXd a = res[0].col(c), b = res[1].col(c);
    const double va = var_of(a), vb = var_of(b);
    INFO("device " << c << " means " << mean_of(a) << " " << mean_of(b) << " vars " << va << " " << vb);
    // The sampled counts ignore the order of pulses within the batch. Swapping an adjacent up and down
    // pulse moves w by a_up a_down (1/w_max + 1/|w_min|) (soft bounds), so the order changes the mean by at
    // most E[n_up n_down] times that; E[n_up n_down] <= mu^2 / 4 with mu the expected pulse count.
    const int r = c / in, col = c % in;
    const double a_step = p.device.dw_min;
    const double mu = (lr / a_step) * (d.col(r).cwiseAbs().transpose() * x.col(col).cwiseAbs())(0, 0);
    const double order = mu * mu / 4 * a_step * a_step * (1 / 0.5 + 1 / 0.5);
    INFO("expected pulses " << mu << " order bound " << order);
    CHECK(std::abs(mean_of(a) - mean_of(b)) < 5 * std::sqrt((va + vb) / reps) + order);
    // Variances: each estimate has relative standard error sqrt(2 / reps); the sampled counts' binomial
    // variance exceeds the exact one by at most max p q / (1 - max p q) (< 10% here).
    CHECK(va / vb < 1.1 * (1 + 5 * std::sqrt(4.0 / reps)));
    CHECK(va / vb > 1 - 5 * std::sqrt(4.0 / reps));
  }
}

TEST_CASE("with many pulses per device the Gaussian limit agrees with pulse-by-pulse updates", "[crossbar]") {
  // Over kGaussianPulses expected pulses per device, on a soft-bounds device with c2c noise.
  const int in = 3, out = 2, batch = 16, reps = 800;
  CrossbarParams p = ideal_crossbar();
  p.update.kind = UpdateKind::pulsed;
  p.device.response = SoftBounds{};
  p.device.dw_min = 0.001;
  p.device.dw_min_c2c = 0.3;
  Mat x = Mat::Random(batch, in).cwiseAbs(), d = Mat::Random(batch, out);
  const float lr = 0.03f;
  const Mat mu = (lr / float(p.device.dw_min)) * d.cwiseAbs().transpose() * x.cwiseAbs();
  REQUIRE(mu.minCoeff() > kGaussianPulses);
  Eigen::ArrayXXd res[2] = {Eigen::ArrayXXd(reps, out * in), Eigen::ArrayXXd(reps, out * in)};
  int k = 0;
  for (UpdateMode mode : {UpdateMode::sampled_counts, UpdateMode::pulse_by_pulse}) {
    CrossbarParams q = p;
    q.update.mode = mode;
    Ledger ledger;
    Crossbar xb("xb", q, ledger, out, in, 16);
    FastRng rng(16, "gauss", std::uint64_t(k));
    for (int r = 0; r < reps; ++r) {
      xb.program(Mat::Constant(out, in, 0.2f), 0.0, rng);
      xb.update(x, d, lr, 0.0, rng);
      res[k].row(r) = xb.weights_normalised().cast<double>().reshaped<Eigen::RowMajor>().transpose().array();
    }
    ++k;
  }
  for (int c = 0; c < out * in; ++c) {
    const Eigen::ArrayXd a = res[0].col(c), b = res[1].col(c);
    const double va = var_of(a), vb = var_of(b);
    // Order of pulses: see the test above; here a_up a_down (1/w_max + 1/|w_min|) = 2e-6 per swap.
    const double m = mu(c / in, c % in);
    const double order = m * m / 4 * 2e-6;
    INFO("device " << c << " pulses " << m << " means " << mean_of(a) << " " << mean_of(b) << " vars " << va
                   << " " << vb);
    CHECK(std::abs(mean_of(a) - mean_of(b)) < 5 * std::sqrt((va + vb) / reps) + order);
    CHECK(va / vb < 1 + 5 * std::sqrt(4.0 / reps));
    CHECK(va / vb > 1 - 5 * std::sqrt(4.0 / reps));
  }
}

namespace {
// The mean weight after n pulses of one direction from w0, for a step a (1 - k w) (a < 0 for down pulses):
// applied one after another (each pulse's mean step, cycle-to-cycle noise being mean-free) the deviation
// from the fixed point 1/k shrinks by (1 - a k) per pulse; spread evenly, as the sampled counts take them,
// by e^(-n a k). k = 0 is the constant step: n a either way.
double after_pulses(double w0, int n, double a, double k, bool one_by_one) {
  if (k == 0) return w0 + n * a;
  const double shrink = one_by_one ? std::pow(1 - a * k, n) : std::exp(-n * a * k);
  return (1 - (1 - k * w0) * shrink) / k;
}
// A response's slopes k_up, k_down: step_up = a (1 - k_up w), step_down = a (1 - k_down w).
std::pair<double, double> slopes(const UpdateResponse& r, double w_min, double w_max) {
  if (std::holds_alternative<SoftBounds>(r)) return {1 / w_max, 1 / w_min};
  if (const auto* ls = std::get_if<LinearStep>(&r)) return {ls->gamma_up / w_max, ls->gamma_down / w_min};
  return {0.0, 0.0};
}
}  // namespace

TEST_CASE("every pulsed response moves each device as its step formula says, pulse by pulse and in counts",
          "[crossbar]") {
  // Devices with their own steps, asymmetry and bounds, and cycle-to-cycle noise: from w0, the first half of
  // the outputs get n up pulses and the rest n down pulses. Per device the residual from the formula's mean
  // over the noise's standard deviation, c2c sqrt(n) step(w0), has mean 0 and (exactly, for counts) variance 1.
  const int out = 64, in = 64, m = out * in / 2;
  const float w0 = 0.1f;
  for (const UpdateResponse& response : {UpdateResponse{ConstantStep{}}, UpdateResponse{SoftBounds{}},
                                         UpdateResponse{LinearStep{0.3, 0.6}}}) {
    CrossbarParams p = ideal_crossbar();
    p.update.kind = UpdateKind::pulsed;
    p.device.response = response;
    p.device.dw_min = 0.01;
    p.device.dw_min_dtod = 0.2;
    p.device.up_down_dtod = 0.1;
    p.device.w_bounds_dtod = 0.1;
    p.device.dw_min_c2c = 0.2;
    const double c2c = p.device.dw_min_c2c;
    for (UpdateMode mode : {UpdateMode::sampled_counts, UpdateMode::pulse_by_pulse}) {
      p.update.mode = mode;
      Ledger ledger;
      Crossbar xb("xb", p, ledger, out, in, 21);
      FastRng rng(21, "response", std::uint64_t(mode));
      xb.program(Mat::Constant(out, in, w0), 0.0, rng);
      // Pulse by pulse: every row and column fires in each of the BL slots of one sample (lr well above
      // dw_min BL makes every probability 1). In counts: a whole-steps row write of exactly n pulses.
      int n = p.update.bl;
      Mat sign = Mat::Ones(out, in);
      sign.bottomRows(out / 2) *= -1.0f;
      if (mode == UpdateMode::pulse_by_pulse) {
        Mat d = sign.col(0).transpose();
        xb.update(Mat::Ones(1, in), d, 1.0f, 0.0, rng);
      } else {
        n = 20;
        xb.write_rows(sign * float(n * p.device.dw_min), 0, 0.0, rng, Crossbar::RowWrite::whole_steps);
      }
      const DeviceState& dv = xb.devices();
      Eigen::ArrayXd z[2] = {Eigen::ArrayXd(m), Eigen::ArrayXd(m)};
      for (int j = 0; j < out; ++j)
        for (int i = 0; i < in; ++i) {
          const bool up = j < out / 2;
          const auto [k_up, k_down] = slopes(response, dv.w_min(j, i), dv.w_max(j, i));
          const double a = up ? dv.dw_up(j, i) : -dv.dw_down(j, i), k = up ? k_up : k_down;
          const double want = after_pulses(w0, n, a, k, mode == UpdateMode::pulse_by_pulse);
          const double sd = c2c * std::sqrt(double(n)) * std::abs(a) * (1 - k * w0);
          z[up ? 0 : 1]((j % (out / 2)) * in + i) = (xb.weights_normalised()(j, i) - want) / sd;
        }
      for (const Eigen::ArrayXd& zs : z) {
        INFO("response " << response.index() << " mode " << int(mode) << " residual mean " << mean_of(zs)
                         << " variance " << var_of(zs));
        CHECK(std::abs(mean_of(zs)) < 5 / std::sqrt(double(m)));
        // Pulse by pulse the noise of each pulse is that of its own step, which shrinks as w moves towards
        // the fixed point: at most the first one's, so the variance is at most 1 there.
        CHECK(var_of(zs) < 1 + 5 * std::sqrt(2.0 / m));
        if (mode == UpdateMode::sampled_counts) CHECK(var_of(zs) > 1 - 5 * std::sqrt(2.0 / m));
      }
    }
  }
}

TEST_CASE("soft-bounds devices saturate at their own bounds", "[crossbar]") {
  Ledger ledger;
  CrossbarParams p = ideal_crossbar();
  p.update.kind = UpdateKind::pulsed;
  p.device = reram_device();
  p.device.dw_min_c2c = 0;
  p.device.n_states = 0;
  p.device.w_bounds_dtod = 0.2;
  Crossbar xb("xb", p, ledger, 16, 16, 10);
  FastRng rng(10, "sat");
  xb.program(Mat::Zero(16, 16), 0.0, rng);
  Mat x = Mat::Ones(32, 16), d = Mat::Ones(32, 16);
  // Only up pulses: w -> w_max - (w_max - w0) exp(-n dw / w_max), n up to BL per sample per batch.
  for (int k = 0; k < 200; ++k) xb.update(x, d, 1.0f, 0.0, rng);
  const Mat& w = xb.weights_normalised();
  const Mat& wmax = xb.devices().w_max;
  CHECK((w.array() <= wmax.array()).all());
  CHECK(((wmax - w).array() <= 0.01f * wmax.array()).all());
  // And down again to the lower bounds.
  for (int k = 0; k < 200; ++k) xb.update(x, -d, 1.0f, 0.0, rng);
  const Mat& wmin = xb.devices().w_min;
  CHECK((w.array() >= wmin.array()).all());
  CHECK(((w - wmin).array() <= 0.01f * (-wmin.array())).all());
}

TEST_CASE("the same seed makes the same crossbar and another seed a different one", "[crossbar]") {
  Ledger ledger;
  CrossbarParams p = crossbar_preset("pcm");
  Crossbar a("xb", p, ledger, 20, 30, 11), b("xb", p, ledger, 20, 30, 11), c("xb", p, ledger, 20, 30, 12);
  FastRng ra(1, "prog"), rb(1, "prog"), rc(1, "prog");
  Mat w = Mat::Random(20, 30) * 0.5f;
  a.program(w, 0, ra);
  b.program(w, 0, rb);
  c.program(w, 0, rc);
  Mat wa(20, 30), wb(20, 30), wc(20, 30);
  a.read_weights(wa, 1e4);
  b.read_weights(wb, 1e4);
  c.read_weights(wc, 1e4);
  CHECK(wa == wb);
  CHECK(wa != wc);
  // Re-seeding in place turns a into c's individual.
  a.reseed(12);
  FastRng ra2(1, "prog");
  a.program(w, 0, ra2);
  a.read_weights(wa, 1e4);
  CHECK(wa == wc);
}

TEST_CASE("noisy forward passes and pulsed updates give the same numbers on one thread or several",
          "[crossbar]") {
  // ECRAM: shaped steps and cycle-to-cycle noise; the two learning rates put the devices in the
  // small-count branch and in the Gaussian one. 90 rows: blocks of 8 rows and a partial last block.
  const Mat x = Mat::Random(40, 70).cwiseAbs(), d = Mat::Random(40, 90) * 0.1f;
  const auto run = [&](int threads) {
    set_worker_threads(threads);
    Ledger ledger;
    Crossbar xb("xb", crossbar_preset("ecram"), ledger, 90, 70, 4);
    FastRng rng(4, "test");
    Mat z(40, 90), out(40, 90 * 3);
    for (int step = 0; step < 3; ++step) {
      xb.forward(z, x, 0.0, rng);
      out.middleCols(90 * step, 90) = z;
      xb.update(x, d, step == 1 ? 0.05f : 2e-4f, 0.0, rng);
    }
    set_worker_threads(0);
    return std::make_pair(out, xb.weights_normalised());
  };
  const auto one = run(1), two = run(2), three = run(3);
  CHECK(one.first == two.first);
  CHECK(one.second == two.second);
  CHECK(one.second == three.second);
}

TEST_CASE("first-order IR drop lowers cells further down the word line", "[crossbar]") {
  Ledger ledger;
  CrossbarParams p = ideal_crossbar();
  p.ir_drop_ohm = 2.0;
  p.max_cols = 8;
  Crossbar xb("xb", p, ledger, 16, 1, 12);
  FastRng rng(12, "ir");
  xb.program(Mat::Constant(16, 1, 1.0f), 0, rng);
  const Mat& w = xb.effective_weights(0);
  // Each tile of 8 cells of 25 uS: drop at cell j = r sum_{k<=j} (8 - k) 25e-6.
  for (int j = 0; j < 16; ++j) {
    double drop = 0;
    for (int k = 0; k <= j % 8; ++k) drop += 2.0 * (8 - k) * 25e-6;
    CHECK(w(j, 0) == Approx(1.0 - drop).epsilon(1e-5));
  }
}

TEST_CASE("per-tile ADCs quantise each tile's partial sum", "[crossbar]") {
  Ledger ledger;
  CrossbarParams p = ideal_crossbar();
  p.max_rows = 4;
  p.adc_per_tile = true;
  p.adc.quantize = true;
  p.adc.bits = 2;  // levels -1, 0, 1
  p.adc.range = 1.0;
  Crossbar xb("xb", p, ledger, 1, 8, 13);
  CHECK(xb.adcs().size() == 2);
  FastRng rng(13, "adc");
  xb.program(Mat::Constant(1, 8, 0.2f), 0, rng);
  Mat x = Mat::Ones(1, 8), z(1, 1);
  xb.forward(z, x, 0, rng);
  // Each tile sums to 0.8, rounded to 1; the sum of two tiles is 2 (one ADC would clip at 1).
  CHECK(z(0, 0) == 2.0f);
}

TEST_CASE("global drift compensation restores the probe response", "[crossbar]") {
  Ledger ledger;
  CrossbarParams p = ideal_crossbar();
  p.device = pcm_device();
  p.device.prog_noise_scale = 0;
  p.device.read_noise_1f = false;
  Crossbar xb("xb", p, ledger, 50, 40, 14);
  FastRng rng(14, "comp");
  Mat w = Mat::Random(50, 40) * 0.8f;
  xb.program(w, 0, rng);
  Mat probe = Mat::Ones(8, 40);
  xb.calibrate_drift(probe, 1.0, rng);
  Mat x = Mat::Random(16, 40), z0(16, 50), z(16, 50);
  xb.forward(z0, x, 1.0, rng);
  const double day = 86400;
  xb.forward(z, x, day, rng);
  const double before = (z - z0).norm() / z0.norm();
  xb.compensate_drift(probe, day, rng);
  CHECK(xb.output_gain() > 1.0f);
  xb.forward(z, x, day, rng);
  const double after = (z - z0).norm() / z0.norm();
  INFO("relative error before " << before << " after " << after);
  CHECK(after < 0.5 * before);
}

TEST_CASE("a forward pass books DAC, ADC and V^2 G t read energy", "[crossbar][energy]") {
  Ledger ledger;
  CrossbarParams p = crossbar_preset("reram");
  p.out_noise = 0;
  p.device.dw_min_dtod = 0;
  Crossbar xb("xb", p, ledger, 300, 100, 15);
  FastRng rng(15, "energy");
  Mat w = Mat::Random(300, 100) * 0.5f;
  xb.program(w, 0, rng);
  ledger.reset();
  Mat x = Mat::Random(10, 100), z(10, 300);
  const OpTime t = xb.forward(z, x, 0, rng);
  const auto& e = ledger.params();
  // Conductances: G+ = g_min + max(w, 0) g_unit, G- = g_min + max(-w, 0) g_unit, on the programmed
  // (quantised) weights; row voltage V = x / range * v_read.
  const Mat& wn = xb.weights_normalised();
  const double gu = p.device.g_unit_us(), gmin = p.device.g_min_us;
  double e_read = 0;
  Mat xq = x;
  quantize_symmetric(xq, p.dac.bits, p.dac.range);
  for (int b = 0; b < 10; ++b)
    for (int i = 0; i < 100; ++i) {
      double g = 0;
      for (int j = 0; j < 300; ++j) g += 2 * gmin + std::abs(wn(j, i)) * gu;
      const double v = xq(b, i) / p.dac.range * p.v_read_v;
      e_read += v * v * g * p.timing.t_read_ns * 1e-3;
    }
  CHECK(ledger.energy_pj_of_event("crossbar_read") == Approx(e_read).epsilon(1e-4));
  CHECK(ledger.energy_pj_of_event("dac_conversion") == Approx(10.0 * 100 * xb.col_tiles() * e.dac_conversion_pj));
  CHECK(ledger.energy_pj_of_event("adc_conversion") == Approx(10.0 * 300 * e.adc_conversion_pj));
  CHECK(t.ns == Approx(10 * (p.timing.t_dac_ns + p.timing.t_read_ns + p.timing.t_adc_ns)));
  // An update books one pulse energy per device pulse.
  ledger.reset();
  xb.update(x, z * 0.01f, 0.01f, 0, rng);
  CHECK(ledger.energy_pj_of_event("pulse") == Approx(xb.last_pulses() * e.pulse_pj));
  CHECK(xb.last_pulses() > 0);
}

TEST_CASE("a row-by-row read returns the weights with each device's read noise and the output noise",
          "[crossbar]") {
  Ledger ledger;
  CrossbarParams p = ideal_crossbar();
  p.device.read_noise_rel = 0.05;
  p.device.g_min_us = 1.0;
  p.out_noise = 0.02;
  const int in = 6, out = 4, reps = 3000, row0 = 2, n = 3;
  Crossbar xb("xb", p, ledger, out, in, 11);
  FastRng rng(11, "rows");
  const Mat w = Mat::Random(out, in);
  xb.program(w, 0.0, rng);
  const Mat var = xb.read_variance(0.0);
  Mat r(out, n);
  Eigen::ArrayXXd sum = Eigen::ArrayXXd::Zero(out, n), sq = Eigen::ArrayXXd::Zero(out, n);
  for (int k = 0; k < reps; ++k) {
    const OpTime t = xb.read_rows(r, row0, 0.0, rng);
    CHECK(t.ns == Approx(n * p.timing.t_read_ns));
    const Eigen::ArrayXXd e = (r - w.middleCols(row0, n)).cast<double>().array();
    sum += e;
    sq += e.square();
  }
  // Each read: N(w, var + out_noise^2); 5 standard errors for the mean and the variance.
  for (int j = 0; j < out; ++j)
    for (int c = 0; c < n; ++c) {
      const double want = double(var(j, row0 + c)) + p.out_noise * p.out_noise;
      const double mean = sum(j, c) / reps, v = sq(j, c) / reps - mean * mean;
      INFO("device " << j << "," << row0 + c << " variance " << v << " want " << want);
      CHECK(std::abs(mean) < 5 * std::sqrt(want / reps));
      CHECK(std::abs(v / want - 1) < 5 * std::sqrt(2.0 / reps));
    }
  // n x out cross-points read per call, and no conversion: the outputs stay analog.
  int reads = 0;
  for (const auto& c : ledger.counters()) {
    if (c.event == "adc_conversion" || c.event == "dac_conversion") CHECK(c.count == 0);
    if (c.event == "crossbar_read") {
      CHECK(c.count == double(reps) * n * out);
      ++reads;
    }
  }
  CHECK(reads == 1);
}

TEST_CASE("a row-by-row write changes each device by delta in expectation, at most BL pulses", "[crossbar]") {
  const CrossbarParams p = clean_pulsed();  // constant steps of dw_min, no spread
  const int in = 5, out = 4, reps = 2000, bl = p.update.bl;
  const float dw = float(p.device.dw_min);
  // Changes from a fraction of a pulse to more than BL pulses (which saturate at BL).
  Mat delta(out, 2);
  delta << 0.2f * dw, -1.5f * dw, 3.0f * dw, -7.0f * dw, -0.6f * dw, 12.0f * dw, 40.0f * dw, -45.0f * dw;
  Ledger ledger;
  Crossbar xb("xb", p, ledger, out, in, 12);
  FastRng rng(12, "rows");
  Crossbar xb2("xb2", p, ledger, out, in, 12);
  Mat sum = Mat::Zero(out, in), sumsq = Mat::Zero(out, in), sum2 = Mat::Zero(out, in);
  for (int k = 0; k < reps; ++k) {
    xb.program(Mat::Zero(out, in), 0.0, rng);
    const OpTime t = xb.write_rows(delta, 3, 0.0, rng);
    CHECK(t.ns == Approx(2 * bl * p.timing.t_pulse_ns));
    sum += xb.weights_normalised();
    sumsq += xb.weights_normalised().cwiseAbs2();
    xb2.program(Mat::Zero(out, in), 0.0, rng);
    xb2.write_rows(delta, 3, 0.0, rng, Crossbar::RowWrite::stochastic, 2);
    sum2 += xb2.weights_normalised();
  }
  const Mat mean2 = sum2 / float(reps);
  const Mat mean = sum / float(reps);
  CHECK(mean.leftCols(3).cwiseAbs().maxCoeff() == 0.0f);  // rows not written stay
  for (int j = 0; j < out; ++j)
    for (int c = 0; c < 2; ++c) {
      const double d = delta(j, c), mu = std::abs(d) / dw;
      // Binomial(BL, mu / BL) pulses of dw_min in delta's direction; mu >= BL gives BL of them.
      const double want = mu >= bl ? std::copysign(bl * dw, d) : d;
      const double sd = mu >= bl ? 0.0 : dw * std::sqrt(mu * (1 - mu / bl));
      INFO("device " << j << "," << 3 + c << " delta/dw_min " << d / dw << " mean/dw_min " << mean(j, 3 + c) / dw);
      CHECK(std::abs(mean(j, 3 + c) - want) <= 5 * sd / std::sqrt(reps) + 1e-3 * dw);  // + float sums over reps
      // With a window of two bursts the 40 and 45 steps are written in full.
      if (mu >= bl) CHECK(std::abs(mean2(j, 3 + c) - d) <= 5 * dw * std::sqrt(mu * (1 - mu / (2 * bl)) / reps));
      // The count's spread too: binomial, or from kGaussianPulses expected pulses its Gaussian limit rounded
      // to whole pulses (which adds 1/12 of a pulse squared). The sample variance's own spread is
      // var sqrt(2 / reps), 3%: 5 of those.
      if (mu > 0.5 && mu < bl) {
        const double var = sumsq(j, 3 + c) / reps - double(mean(j, 3 + c)) * mean(j, 3 + c);
        const double want_var = sd * sd + (mu >= kGaussianPulses ? dw * dw / 12 : 0.0);
        CHECK(std::abs(var - want_var) <= 5 * want_var * std::sqrt(2.0 / reps));
      }
    }
}

TEST_CASE("a whole-steps row write fires floor(|delta| / dw_min) pulses, at most the cap", "[crossbar]") {
  const CrossbarParams p = clean_pulsed();  // constant steps of dw_min, no spread
  const int in = 5, out = 4, bl = p.update.bl;
  const float dw = float(p.device.dw_min);
  Mat delta(out, 2);
  delta << 0.2f * dw, -1.5f * dw, 3.0f * dw, -7.0f * dw, -0.99f * dw, 12.0f * dw, 40.0f * dw, -45.0f * dw;
  Ledger ledger;
  Crossbar xb("xb", p, ledger, out, in, 13);
  FastRng rng(13, "rows");
  xb.program(Mat::Zero(out, in), 0.0, rng);
  // What the write will fire, capped at 10 steps; then the write, twice: no randomness in the counts.
  Mat fired = delta;
  xb.whole_steps(fired, 10);
  Mat want(out, 2);
  want << 0, -1, 3, -7, 0, 10, 10, -10;
  CHECK((fired / dw - want).cwiseAbs().maxCoeff() < 1e-4f);
  for (int rep = 1; rep <= 2; ++rep) {
    xb.write_rows(fired, 3, 0.0, rng, Crossbar::RowWrite::whole_steps);
    CHECK((xb.weights_normalised().middleCols(3, 2) / dw - rep * want).cwiseAbs().maxCoeff() < 1e-3f);
  }
  CHECK(xb.weights_normalised().leftCols(3).cwiseAbs().maxCoeff() == 0.0f);  // rows not written stay
  // Uncapped, a write fires at most BL.
  xb.program(Mat::Zero(out, in), 0.0, rng);
  xb.write_rows(delta, 3, 0.0, rng, Crossbar::RowWrite::whole_steps);
  CHECK(xb.weights_normalised()(3, 3) / dw == Approx(std::min(40, bl)));
  CHECK_THROWS_AS(xb.whole_steps(fired, bl + 1), Error);
  // A write window of two bursts fires up to 2 BL, in twice the time.
  xb.program(Mat::Zero(out, in), 0.0, rng);
  const OpTime t = xb.write_rows(delta, 3, 0.0, rng, Crossbar::RowWrite::whole_steps, 2);
  CHECK(t.ns == Approx(2 * 2 * bl * p.timing.t_pulse_ns));
  CHECK(xb.weights_normalised()(3, 3) / dw == Approx(std::min(40, 2 * bl)));
  CHECK(xb.weights_normalised()(3, 4) / dw == Approx(-std::min(45, 2 * bl)));
  CHECK_THROWS_AS(xb.write_rows(delta, 3, 0.0, rng, Crossbar::RowWrite::whole_steps, 0), Error);
}

TEST_CASE("charge sharing scales every weight by the kept fraction, adds its kT/C noise, stays within bounds",
          "[crossbar]") {
  CrossbarParams p = crossbar_preset("capacitor");
  const int out = 64, in = 100;
  const float keep = 0.9f;
  Ledger ledger;
  Crossbar xb("xb", p, ledger, out, in, 14);
  FastRng rng(14, "share");
  Mat w(out, in);
  for (Eigen::Index i = 0; i < w.size(); ++i) w.data()[i] = rng.uniform() - 0.5f;
  xb.program(w, 0.0, rng);
  const Mat w0 = xb.weights_normalised();
  const OpTime t = xb.share_charge(keep, 1e-6, rng);
  CHECK(t.ns == Approx(p.timing.t_pulse_ns));
  CHECK((xb.weights_normalised() - keep * w0).cwiseAbs().maxCoeff() < 1e-6f);  // noiseless: exactly keep w
  const Ledger::Counter* shares = nullptr;
  for (const auto& c : ledger.counters())
    if (c.event == "charge_share") shares = &c;
  REQUIRE(shares != nullptr);
  CHECK(shares->count == double(out) * in);
  CHECK(ledger.energy_pj_of_event("pulse") == 0);

  // With noise sigma: the residual w' - keep w is N(0, sigma^2) per device (away from the bounds).
  p.device.share_noise = 0.01;
  Crossbar noisy("noisy", p, ledger, out, in, 14);
  noisy.program(w, 0.0, rng);
  const Mat before = noisy.weights_normalised();
  noisy.share_charge(keep, 1e-6, rng);
  const Mat res = noisy.weights_normalised() - keep * before;
  const Eigen::ArrayXd r = Eigen::Map<const Eigen::ArrayXf>(res.data(), res.size()).cast<double>();
  const double n = double(r.size()), sigma = p.device.share_noise;
  CHECK(std::abs(mean_of(r)) < 5 * sigma / std::sqrt(n));
  CHECK(std::abs(std::sqrt(var_of(r)) / sigma - 1) < 5 / std::sqrt(2 * n));  // sd of a sample sd: sigma / sqrt(2n)

  // At the bounds the noise cannot push a device beyond its own bound.
  noisy.program(Mat::Constant(out, in, 1.0f), 0.0, rng);
  noisy.share_charge(1.0f, 1e-6, rng);
  CHECK((noisy.weights_normalised() - noisy.devices().w_max).maxCoeff() <= 0.0f);

  CHECK_THROWS_AS(xb.share_charge(1.5f, 0.0, rng), Error);
  Crossbar reram("reram", crossbar_preset("reram"), ledger, out, in, 14);
  CHECK_THROWS_WITH(reram.share_charge(keep, 0.0, rng), Catch::Contains("no charge to share"));
  p.device.charge_sharing = false;
  CHECK_THROWS_AS(p.validate(), Error);  // share_noise on a device that cannot share
}

TEST_CASE("a drift probe that reads nothing leaves the drift uncompensated instead of failing", "[crossbar]") {
  Ledger ledger;
  const CrossbarParams p = ideal_crossbar();  // noise-free: zero weights read exactly zero
  Crossbar xb("xb", p, ledger, 10, 8, 16);
  FastRng rng(16, "probe");
  xb.program(Mat::Zero(10, 8), 0, rng);  // every output reads 0: nothing to scale back to
  const Mat probe = Mat::Ones(1, 8);
  xb.calibrate_drift(probe, 1.0, rng);
  CHECK(xb.drift_probe() == 0);
  CHECK_NOTHROW(xb.compensate_drift(probe, 86400, rng));
  CHECK(xb.output_gain() == 1.0f);
}

TEST_CASE("a crossbar refuses a checkpoint whose devices could not exist, naming the entry", "[crossbar]") {
  Ledger ledger;
  const CrossbarParams p = crossbar_preset("reram");
  Crossbar a("a", p, ledger, 6, 5, 17), b("b", p, ledger, 6, 5, 18);
  FastRng rng(17, "restore");
  a.program(Mat::Random(6, 5) * 0.3f, 0, rng);
  const auto crafted = [&](const std::string& key, float value) {
    Checkpoint c;
    a.save(c, "xb");
    Mat m;
    c.get("xb." + key, m);
    m(2, 3) = value;
    c.put("xb." + key, m);
    return c;
  };
  Checkpoint good;
  a.save(good, "xb");
  CHECK_NOTHROW(b.restore(good, "xb"));
  CHECK_THROWS_WITH(b.restore(crafted("w", std::nanf("")), "xb"), Catch::Contains("xb.w") && Catch::Contains("nan"));
  CHECK_THROWS_WITH(b.restore(crafted("w_min", 0.5f), "xb"), Catch::Contains("do not hold 0"));
  CHECK_THROWS_WITH(b.restore(crafted("dw_up", -0.01f), "xb"), Catch::Contains("negative step"));
  CHECK_THROWS_WITH(b.restore(crafted("stuck_plus", 7.0f), "xb"), Catch::Contains("not a stuck flag"));
  Checkpoint wide;
  a.save(wide, "xb");
  wide.put("xb.w", Mat::Zero(6, 9));
  CHECK_THROWS_WITH(b.restore(wide, "xb"), Catch::Contains("xb.w") && Catch::Contains("6x9"));
}

TEST_CASE("a weight read-out through the ADCs keeps each column's gain, takes off its offset and quantises over "
          "the weight range",
          "[crossbar]") {
  CrossbarParams p = ideal_crossbar();
  p.max_rows = 4;  // two tiles along the inputs: rows 4.. are read on the second tile's rows
  p.w_scale = 0.5;
  p.adc.quantize = true;
  p.adc.bits = 9;
  p.adc.analog.gain_dtod = 0.1;
  p.adc.analog.offset_dtod = 0.05;
  Ledger ledger;
  Crossbar c("xb", p, ledger, 3, 6, 5);
  Mat w(3, 6);
  w << 0.1f, -0.2f, 0.3f, -0.4f, 0.05f, 0.0f, 0.45f, -0.45f, 0.2f, 0.1f, -0.1f, 0.25f, -0.3f, 0.3f, 0.0f, 0.15f, -0.05f,
      0.4f;
  FastRng rng(1, "test");
  c.program(w, 0, rng);
  Mat r(3, 6);
  c.read_out(r, 0, rng);
  const Adc& adc = c.adcs()[0];
  REQUIRE(adc.gain().cwiseAbs().maxCoeff() > 0);
  REQUIRE((adc.gain().array() != 1.0f).any());
  REQUIRE((adc.offset().array() != 0.0f).any());
  // Normalised weight w / w_scale times the column's gain, on 2^9 - 1 levels over +-1, back in user units.
  const double step = 2.0 / (std::pow(2.0, 9) - 2);
  for (int j = 0; j < 3; ++j)
    for (int i = 0; i < 6; ++i) {
      const double want = double(w(j, i)) / 0.5 * adc.gain()(j);
      CHECK(std::abs(r(j, i) / 0.5 - want) <= 0.5 * step + 1e-6);
    }
  // A conversion per cross-point and one reference read per column.
  CHECK(ledger.energy_pj_of_event("weight_readout_adc") ==
        Approx(double(3 * 7) * ledger.params().adc_conversion_pj));
}

TEST_CASE("repeated read-outs average the output noise: its variance falls as 1 / repeats", "[crossbar]") {
  CrossbarParams p = ideal_crossbar();
  p.out_noise = 0.06;
  Ledger ledger;
  Crossbar c("xb", p, ledger, 20, 50, 5);
  const Mat w = Mat::Constant(20, 50, 0.3f);
  FastRng rng(2, "test");
  c.program(w, 0, rng);
  Mat r1(20, 50), r16(20, 50);
  c.read_out(r1, 0, rng, 1);
  c.read_out(r16, 0, rng, 16);
  const auto var = [&](const Mat& r) { return double((r - w).squaredNorm()) / double(w.size()); };
  // 1000 entries: each sample variance within about 3 x sqrt(2 / 1000) = 13% of sigma^2 / repeats.
  CHECK(var(r1) == Approx(0.06 * 0.06).epsilon(0.15));
  CHECK(var(r16) == Approx(0.06 * 0.06 / 16).epsilon(0.15));
  CHECK(ledger.energy_pj_of_event("weight_readout_adc") ==
        Approx(double(20 * (50 + 1) + 20 * (50 * 16 + 1)) * ledger.params().adc_conversion_pj));
  CHECK_THROWS_WITH(c.read_out(r1, 0, rng, 0), Catch::Contains("repeats"));
}

TEST_CASE("faults appear with age at stuck_per_day, half at each bound, and read as stuck", "[crossbar]") {
  Ledger ledger;
  CrossbarParams p = clean_pulsed();
  p.device.stuck_per_day = 1e-3;
  Crossbar xb("xb", p, ledger, 100, 200, 5);
  FastRng rng(9, "age");
  xb.program(Mat::Constant(100, 200, 0.5f), 0.0, rng);
  REQUIRE(xb.stuck_devices() == 0);
  // 100 days: each of the 2 x 100 x 200 devices is stuck with probability q = 1 - exp(-0.1); the count is
  // binomial, within 5 standard deviations of n q.
  const double n = 2 * 100 * 200, q = -std::expm1(-0.1);
  const long long born = xb.age(100, rng);
  CHECK(born == xb.stuck_devices());
  CHECK(std::abs(double(born) - n * q) < 5 * std::sqrt(n * q * (1 - q)));
  const auto& d = xb.devices();
  const double at_max = double((d.stuck_plus.array() == 2).count() + (d.stuck_minus.array() == 2).count());
  CHECK(std::abs(at_max - 0.5 * double(born)) < 5 * std::sqrt(0.25 * double(born)));
  // A stuck device stays stuck: ageing again only adds to the count; no time, no new faults.
  CHECK(xb.age(0, rng) == 0);
  CHECK(xb.age(100, rng) > 0);
  CHECK(xb.stuck_devices() > born);
  // The weights read with the stuck devices at their bounds: some now differ from what was programmed.
  Mat z(1, 100);
  const Mat x = Mat::Identity(200, 200).topRows(1);
  xb.forward(z, x, 0.0, rng);
  CHECK((z.array() - 0.5f).abs().maxCoeff() > 0.1f);
  // Without a rate nothing ages and no random number is drawn.
  Crossbar fresh("fresh", clean_pulsed(), ledger, 10, 10, 5);
  FastRng a(3, "age"), b(3, "age");
  CHECK(fresh.age(1e6, a) == 0);
  CHECK(a() == b());
}

namespace {

// About half of an out x in array's cross-points, drawn from `seed`, with one input row left empty.
Mat half_mask(int out, int in, std::uint64_t seed) {
  Rng r = make_rng(seed, "mask");
  Mat m(out, in);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = r() % 2 == 0 ? 1.0f : 0.0f;
  m.col(3).setZero();
  return m;
}

float empty_max(const Mat& a, const Mat& present) { return (a.array() * (1.0f - present.array())).abs().maxCoeff(); }

}  // namespace

TEST_CASE("an ideal crossbar with a connectivity mask computes and learns through its pairs alone, exactly",
          "[crossbar]") {
  Ledger ledger;
  Crossbar xb("xb", ideal_crossbar(), ledger, 40, 30, 1);
  const Mat m = half_mask(40, 30, 1);
  xb.connect(m);
  REQUIRE(xb.masked());
  CHECK(xb.pairs() == static_cast<long long>(m.sum()));
  FastRng rng(1, "test");
  const Mat w = Mat::Random(40, 30), x = Mat::Random(8, 30), d = Mat::Random(8, 40);
  xb.program(w, 0.0, rng);
  Mat wm = (w.array() * m.array()).matrix();
  CHECK(xb.weights_normalised() == wm);
  Mat z(8, 40), zref(8, 40);
  xb.forward(z, x, 1.0, rng);
  zref.noalias() = x * wm.transpose();
  CHECK(z == zref);
  xb.update(x, d, 0.01f, 2.0, rng);
  wm.array() += 0.01f * (d.transpose() * x).array() * m.array();
  CHECK((xb.weights_normalised() - wm).cwiseAbs().maxCoeff() < 1e-6f);
  const Mat delta = Mat::Random(40, 5);
  xb.write_rows(delta, 10, 3.0, rng);
  wm.middleCols(10, 5).array() += delta.array() * m.middleCols(10, 5).array();
  CHECK((xb.weights_normalised() - wm).cwiseAbs().maxCoeff() < 1e-6f);
  // A full mask is no mask.
  Crossbar full("full", ideal_crossbar(), ledger, 4, 3, 1);
  full.connect(Mat::Ones(4, 3));
  CHECK_FALSE(full.masked());
  CHECK(full.pairs() == 12);
  CHECK_THROWS_WITH(full.connect(Mat::Constant(4, 3, 0.5f)), Catch::Contains("holds 0 (no device) or 1"));
  CHECK_THROWS_WITH(full.connect(Mat::Ones(3, 4)), Catch::Contains("connect wants a mask (4, 3)"));
}

TEST_CASE("an empty cross-point holds no device: no weight, conductance, read noise, read energy, pulse or fault",
          "[crossbar][energy]") {
  Ledger ledger;
  CrossbarParams p = crossbar_preset("pcm");  // drift, 1/f and programming noise
  p.device.stuck_per_day = 1e-3;
  p.device.stuck_gmin_rate = 0.02;  // and faults from birth
  p.ir_drop_ohm = 1.0;
  const int out = 60, in = 50, batch = 4;
  Crossbar xb("xb", p, ledger, out, in, 3), dense("dense", p, ledger, out, in, 3);
  const Mat m = half_mask(out, in, 3);
  xb.connect(m);
  FastRng rng(3, "empty");
  const Mat w = Mat::Random(out, in) * 0.5f;
  xb.program(w, 0.0, rng);
  dense.program(w, 0.0, rng);
  CHECK(empty_max(xb.weights_normalised(), m) == 0.0f);
  // The read energy, V^2 G t summed over the pairs there are (as the forward-pass test computes it for every
  // cross-point), and one read per pair and sample.
  ledger.reset();
  const Mat x = Mat::Random(batch, in);
  Mat z(batch, out);
  xb.forward(z, x, 10.0, rng);
  Mat xq = x;
  quantize_symmetric(xq, p.dac.bits, p.dac.range);
  const Mat& wn = xb.weights_normalised();
  const double gu = p.device.g_unit_us(), gmin = p.device.g_min_us;
  double e_read = 0;
  for (int b = 0; b < batch; ++b)
    for (int i = 0; i < in; ++i) {
      double g = 0;
      for (int j = 0; j < out; ++j) g += m(j, i) * (2 * gmin + std::abs(wn(j, i)) * gu);
      const double v = xq(b, i) / p.dac.range * p.v_read_v;
      e_read += v * v * g * p.timing.t_read_ns * 1e-3;
    }
  CHECK(ledger.energy_pj_of_event("crossbar_read") == Approx(e_read).epsilon(1e-4));
  double reads = 0;
  for (const auto& c : ledger.counters())
    if (c.event == "crossbar_read") reads += c.count;
  CHECK(reads == Approx(double(batch) * double(xb.pairs())));
  // Every pair fires in every slot (x and d at full scale, a rate that saturates the probabilities): BL
  // batch pulses on each pair there is, none elsewhere.
  const Mat ones_x = Mat::Ones(batch, in), ones_d = Mat::Ones(batch, out);
  xb.update(ones_x, ones_d, 100.0f, 20.0, rng);
  dense.update(ones_x, ones_d, 100.0f, 20.0, rng);
  const double per_pair = double(p.update.bl) * batch;
  CHECK(dense.last_pulses() == Approx(per_pair * out * in));
  CHECK(xb.last_pulses() == Approx(per_pair * double(xb.pairs())));
  CHECK(empty_max(xb.weights_normalised(), m) == 0.0f);
  // Row writes, random and whole steps, reach the pairs only.
  xb.write_rows(Mat::Constant(out, in, -0.3f), 0, 30.0, rng);
  xb.write_rows(Mat::Constant(out, 10, 0.3f), 5, 31.0, rng, Crossbar::RowWrite::whole_steps);
  CHECK(empty_max(xb.weights_normalised(), m) == 0.0f);
  // Faults come to devices only: some from birth, and after long idling about q of the pairs' free devices.
  const long long at_birth = xb.stuck_devices();
  CHECK(at_birth > 0);
  const long long born = xb.age(2000, rng);
  const double n = 2.0 * double(xb.pairs()) - double(at_birth), q = -std::expm1(-2.0);
  CHECK(std::abs(double(born) - n * q) < 5 * std::sqrt(n * q * (1 - q)));
  const auto& dev = xb.devices();
  for (Eigen::Index i = 0; i < m.size(); ++i)
    if (m.data()[i] == 0.0f) REQUIRE((dev.stuck_plus.data()[i] == 0 && dev.stuck_minus.data()[i] == 0));
  // No conductance and no read noise where there is no device, a day on (drift and 1/f on).
  Mat gp(out, in), gm(out, in);
  xb.conductances(gp, gm, 86400.0);
  CHECK(empty_max(gp, m) == 0.0f);
  CHECK(empty_max(gm, m) == 0.0f);
  CHECK(empty_max(xb.read_variance(86400.0), m) == 0.0f);
  CHECK(empty_max(xb.effective_weights(86400.0), m) == 0.0f);
  CHECK(xb.read_variance(86400.0).maxCoeff() > 0.0f);
  // Its own checkpoint restores; one of the dense array (weights at empty cross-points) is refused by name.
  Checkpoint own, c;
  xb.save(own, "layer0");
  CHECK_NOTHROW(xb.restore(own, "layer0"));
  dense.save(c, "layer0");
  CHECK_THROWS_WITH(xb.restore(c, "layer0"), Catch::Contains("but it is empty (no device)"));
}

TEST_CASE("a tile with no pair of devices is not built: its row drivers convert nothing", "[crossbar][energy]") {
  Ledger ledger;
  CrossbarParams p = crossbar_preset("reram");
  p.max_rows = 8;
  p.max_cols = 8;
  Crossbar xb("xb", p, ledger, 16, 16, 2);
  CHECK(xb.tiles_built() == 4);
  Mat m = Mat::Ones(16, 16);
  m.block(0, 8, 8, 8).setZero();  // outputs 0..7 see no input of rows 8..15: that tile holds nothing
  m(9, 2) = 0;                    // a single empty cross-point leaves its tile built
  xb.connect(m);
  CHECK(xb.tiles_built() == 3);
  CHECK(xb.pairs() == 16 * 16 - 64 - 1);
  FastRng rng(2, "tiles");
  Mat x = Mat::Random(5, 16), z(5, 16);
  ledger.reset();
  xb.forward(z, x, 0.0, rng);
  // A DAC conversion per input row of every tile built and sample: 3 tiles of 8 rows.
  CHECK(ledger.energy_pj_of_event("dac_conversion") == Approx(5.0 * 3 * 8 * ledger.params().dac_conversion_pj));
}
