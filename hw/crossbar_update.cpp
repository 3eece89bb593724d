// The crossbar's pulsed writes: the outer-product update (sampled counts or pulse by pulse), the devices'
// response to their pulses, row writes and charge sharing.
#include "hw/crossbar.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/parallel.h"
#include "hw/crossbar_blocks.h"

namespace mortal::hw {

// --- update -------------------------------------------------------------------------------------------

OpTime Crossbar::update(ConstMatRef x, ConstMatRef d, float lr, double t_s, FastRng& rng) {
  require(x.cols() == in_ && d.cols() == out_ && d.rows() == x.rows(),
          "{}: update wants x (batch, {}) and d (batch, {}), got x {}x{} and d {}x{}", name_, in_, out_,
          x.rows(), x.cols(), d.rows(), d.cols());
  last_pulses_ = 0;
  if (p_.update.kind == UpdateKind::exact) {
    update_exact(x, d, lr);
    dirty_ = true;
    return OpTime{0.0};
  }
  if (p_.update.mode == UpdateMode::sampled_counts)
    update_sampled(x, d, lr, rng);
  else
    update_pulse_by_pulse(x, d, lr, rng);
  ledger_->add(pulse_counter_, last_pulses_);
  // The drift clock of the array restarts at its last write.
  t_program_s_ = t_s;
  dirty_ = true;
  return OpTime{update_time_ns(int(x.rows()))};
}

void Crossbar::update_exact(ConstMatRef x, ConstMatRef d, float lr) {
  const float lr_n = float(lr / p_.w_scale);
  if (masked()) {
    w_.array() += lr_n * (d.transpose() * x).array() * present_.array();
    return;
  }
  // The same expression as the digital reference array (model/digital_array.cpp), so results match bit for bit.
  w_.noalias() += lr_n * (d.transpose() * x);
}

namespace {

// Pulse probabilities' scales A (rows) and B (columns), with A B BL dw_min = lr so that the expected
// update is lr d^T x (Gokmen & Vlasov 2016); update management balances them (aihwkit).
void pulse_scales(float& a, float& b, double lr_n, double dw_min, int bl, bool manage, float x_max,
                  float d_max) {
  const double base = std::sqrt(lr_n / (dw_min * bl));
  double k = 1.0;
  if (manage && x_max > 0 && d_max > 0) k = std::sqrt(double(d_max) / double(x_max));
  a = float(base * k);
  b = float(base / k);
}

// Binomial(n, mu / n) for a uniform r, by inversion from zero. P(0) = (1 - p)^n in float (r has 24 bits);
// for p < 0.01 the series n ln(1 - p) = -mu (1 + p/2 + p^2/3 + ...) cut after p^2 is off by < mu p^3 / 3.
inline int binomial_inverse(float mu, float n, float r) {
  const float p = mu / n;
  if (p >= 1.0f) return int(n);
  const float ln_p0 = p < 0.01f ? -mu * (1.0f + p * (0.5f + p * (1.0f / 3.0f))) : n * std::log1p(-p);
  const float ratio = p / (1.0f - p);
  float pk = std::exp(ln_p0), cdf = pk;
  int k = 0;
  while (r >= cdf && k < n) {
    pk *= (n - k) / float(k + 1) * ratio;
    ++k;
    cdf += pk;
    if (pk < 1e-30f) break;
  }
  return k;
}

// Per-thread work buffers of the per-device passes (update_block, write_rows).
struct BlockWork {
  // A block's devices in order (update_block): expected or drawn counts and the counts' variances.
  Eigen::ArrayXf up, dn, var_up, var_dn, gauss;
  // The changing devices, gathered: weight, steps, bounds, counts and their variances.
  Eigen::ArrayXf g_w, g_a_u, g_a_d, g_w_min, g_w_max, g_up, g_dn, g_var_up, g_var_dn;
  // The response's work.
  Eigen::ArrayXf normals, scratch, sd, next;
  ResponseWork response;
  std::vector<int> hits, touched;
  std::vector<float> draws;
  void reserve(Eigen::Index n) {
    for (Eigen::ArrayXf* a : {&up, &dn, &var_up, &var_dn, &gauss, &g_w, &g_a_u, &g_a_d, &g_w_min, &g_w_max, &g_up,
                              &g_dn, &g_var_up, &g_var_dn, &sd, &next, &response.alpha, &response.beta,
                              &response.em1})
      if (a->size() < n) a->resize(n);
    for (auto* v : {&hits, &touched})
      if (v->size() < std::size_t(n)) v->resize(std::size_t(n));
    if (draws.size() < std::size_t(n)) draws.resize(std::size_t(n));
  }
  // The weights and device constants of the first nt touched devices (indices from the pointers given).
  void gather(Eigen::Index nt, const float* w, const float* a_u, const float* a_d, const float* w_min,
              const float* w_max) {
    for (Eigen::Index i = 0; i < nt; ++i) {
      const int k = touched[std::size_t(i)];
      g_w[i] = w[k];
      g_a_u[i] = a_u[k];
      g_a_d[i] = a_d[k];
      g_w_min[i] = w_min[k];
      g_w_max[i] = w_max[k];
    }
  }
};
BlockWork& block_work() {
  thread_local BlockWork w;
  return w;
}

// The response of nt devices to e_up and e_dn pulses spread evenly over the batch (counts, or expected
// counts with variances v_up, v_dn): the mean is the response's (after_pulses, hw/pulse_response.h);
// cycle-to-cycle noise adds c2c^2 s^2 per pulse and the counts their variance, with the steps s at the
// current weight. New weights, within the bounds, in b.next. Vectorised: no select (Eigen 3.4 evaluates it
// one coefficient at a time).
template <typename Response, typename W, typename A, typename C>
void respond_devices(const Response& response, BlockWork& b, Eigen::Index nt, const W& w, const A& a_u,
                     const A& a_d, const A& w_min, const A& w_max, const C& e_up, const C& e_dn, const C& v_up,
                     const C& v_dn, float c2c, FastRng& rng) {
  fill_normal_bulk(b.normals, nt, rng, b.scratch);
  const auto s_u = response.step_up(a_u, w, w_max);
  const auto s_d = response.step_down(a_d, w, w_min);
  const float c2 = c2c * c2c;
  b.sd.head(nt) = (s_u.square() * (v_up + c2 * e_up) + s_d.square() * (v_dn + c2 * e_dn)).sqrt();
  auto next = b.next.head(nt);
  response.after_pulses(next, PulsedBlock<W, A, C>{nt, w, a_u, a_d, w_min, w_max, e_up, e_dn}, b.response);
  next = (next + b.sd.head(nt) * b.normals.head(nt)).max(w_min).min(w_max);
}

}  // namespace

bool Crossbar::pulse_trains(ConstMatRef x, ConstMatRef d, float lr) {
  const float x_max = x.cwiseAbs().maxCoeff(), d_max = d.cwiseAbs().maxCoeff();
  if (x_max == 0 || d_max == 0 || lr == 0) return false;
  float a, b;
  pulse_scales(a, b, lr / p_.w_scale, p_.device.dw_min, p_.update.bl, p_.update.update_management, x_max, d_max);
  p_rows_.resize(x.rows(), in_);
  p_cols_.resize(x.rows(), out_);
  row_pulses_.probabilities(p_rows_, x, a);
  col_pulses_.probabilities(p_cols_, d, b);
  return true;
}

void Crossbar::update_sampled(ConstMatRef x, ConstMatRef d, float lr, FastRng& rng) {
  if (!pulse_trains(x, d, lr)) return;
  const int bl = p_.update.bl, batch = int(x.rows());
  ps_ = (p_rows_.array() * x.array().sign()).matrix();
  qs_ = (p_cols_.array() * d.array().sign()).matrix();
  // Expected coincidences per device over the batch: all of them, and up minus down.
  mu_tot_.resize(out_, in_);
  mu_net_.resize(out_, in_);
  parallel_product(mu_tot_, p_cols_.transpose(), p_rows_, float(bl));
  parallel_product(mu_net_, qs_.transpose(), ps_, float(bl));
  // No coincidence reaches an empty cross-point.
  if (masked()) {
    mu_tot_.array() *= present_.array();
    mu_net_.array() *= present_.array();
  }

  // Exact count variances (mu - BL sum_b (p q)^2 per direction) when p q gets large and some device
  // takes the Gaussian branch; binomial ones otherwise.
  const bool exact_var = mu_tot_.maxCoeff() >= kGaussianPulses && p_rows_.maxCoeff() * p_cols_.maxCoeff() > 0.05f;
  if (exact_var) {
    ps_ = p_rows_.array().square().matrix();
    qs_ = p_cols_.array().square().matrix();
    sq_tot_.resize(out_, in_);
    sq_net_.resize(out_, in_);
    parallel_product(sq_tot_, qs_.transpose(), ps_, float(bl));
    ps_.array() *= x.array().sign();
    qs_.array() *= d.array().sign();
    parallel_product(sq_net_, qs_.transpose(), ps_, float(bl));
  }
  SampledUpdate u;
  u.tot = mu_tot_.data();
  u.net = mu_net_.data();
  u.sq_tot = exact_var ? sq_tot_.data() : nullptr;
  u.sq_net = exact_var ? sq_net_.data() : nullptr;
  u.n_slots = double(bl) * batch;
  u.c2c = float(p_.device.dw_min_c2c);
  // The devices in fixed blocks of rows (on_blocks), each block with the response's code.
  last_pulses_ = std::visit(
      [&](const auto& response) {
        return on_blocks((out_ + kBlockRows - 1) / kBlockRows, rng, [&](int blk, FastRng& r) {
          const Eigen::Index k0 = Eigen::Index(blk) * kBlockRows * in_;
          const Eigen::Index n = Eigen::Index(std::min(out_ - blk * kBlockRows, kBlockRows)) * in_;
          return update_block(response, u, k0, n, r);
        });
      },
      p_.device.response);
}

// Devices k0 .. k0 + n - 1 of a sampled update; returns the pulses they received. Three passes: the
// set-up (which branch), the scalar draws of the small counts, and one vectorised response of every
// device that changes (gathered first when they are few, as in FF training, where most devices get no
// pulse in a batch). Plain loops where a device's branch is chosen: Eigen 3.4's select is evaluated one
// coefficient at a time.
template <typename Response>
double Crossbar::update_block(const Response& response, const SampledUpdate& u, Eigen::Index k0, Eigen::Index n,
                              FastRng& rng) {
  const float *tot = u.tot + k0, *net = u.net + k0;
  const float n_slots = float(u.n_slots), binom = 1.0f / n_slots;
  BlockWork& b = block_work();
  b.reserve(n);
  float *up = b.up.data(), *dn = b.dn.data(), *var_up = b.var_up.data(), *var_dn = b.var_dn.data();
  float* gauss = b.gauss.data();

  // Devices expecting many pulses take the Gaussian limit: the counts enter as their expected values
  // with their variances (binomial, or exact: mu - BL sum_b (p q)^2 per direction).
  const float *sq_tot = u.sq_tot ? u.sq_tot + k0 : nullptr, *sq_net = u.sq_net ? u.sq_net + k0 : nullptr;
  for (Eigen::Index k = 0; k < n; ++k) {
    const bool g = tot[k] >= kGaussianPulses;
    const float e_up = std::max(0.5f * (tot[k] + net[k]), 0.0f), e_dn = std::max(0.5f * (tot[k] - net[k]), 0.0f);
    gauss[k] = g ? 1.0f : 0.0f;
    up[k] = g ? e_up : 0.0f;
    dn[k] = g ? e_dn : 0.0f;
  }
  if (sq_tot) {
    for (Eigen::Index k = 0; k < n; ++k) {
      var_up[k] = std::max(up[k] - 0.5f * gauss[k] * (sq_tot[k] + sq_net[k]), 0.0f);
      var_dn[k] = std::max(dn[k] - 0.5f * gauss[k] * (sq_tot[k] - sq_net[k]), 0.0f);
    }
  } else {
    b.var_up.head(n) = b.up.head(n) * (1.0f - b.up.head(n) * binom);
    b.var_dn.head(n) = b.dn.head(n) * (1.0f - b.dn.head(n) * binom);
  }
  double pulses = double((b.gauss.head(n) * Eigen::Map<const Eigen::ArrayXf>(tot, n)).sum());
  std::size_t touched = 0;
  for (Eigen::Index k = 0; k < n; ++k) {
    b.touched[touched] = int(k);
    touched += gauss[k] != 0;
  }

  // The others draw Binomial(n_slots, mu / n_slots) by inversion from zero, split into up and down (each
  // pulse is up with probability mu_up / mu_tot: multinomial over the slots). A uniform below 1 - mu <=
  // P(0) means no pulse: that squeeze settles most devices without P(0), and without a branch.
  FastRng local = rng;  // a copy the compiler can keep in registers
  std::size_t m = 0;
  for (Eigen::Index k = 0; k < n; ++k) {
    const float t = tot[k], r = local.uniform();
    b.hits[m] = int(k);
    b.draws[m] = r;
    m += (t > 0) & (t < kGaussianPulses) & (r >= 1.0f - t);
  }
  for (std::size_t h = 0; h < m; ++h) {
    const int k = b.hits[h];
    const float t = tot[k];
    const int count = binomial_inverse(t, n_slots, b.draws[h]);
    if (count == 0) continue;
    const float p_up = std::clamp(0.5f * (1.0f + net[k] / t), 0.0f, 1.0f);
    int n_up = 0;
    for (int i = 0; i < count; ++i) n_up += local.uniform() < p_up;
    up[k] = float(n_up);
    dn[k] = float(count - n_up);
    pulses += count;
    b.touched[touched++] = k;
  }

  using CMap = Eigen::Map<const Eigen::ArrayXf>;
  float* w = w_.data() + k0;
  const float *dw_up = dev_.dw_up.data() + k0, *dw_down = dev_.dw_down.data() + k0;
  const float *w_min = dev_.w_min.data() + k0, *w_max = dev_.w_max.data() + k0;
  const Eigen::Index nt = Eigen::Index(touched);
  if (2 * nt > n) {
    // Most devices change: one pass over all of them.
    respond_devices(response, b, n, CMap(w, n), CMap(dw_up, n), CMap(dw_down, n), CMap(w_min, n), CMap(w_max, n),
                    b.up.head(n), b.dn.head(n), b.var_up.head(n), b.var_dn.head(n), u.c2c, local);
    const float* next = b.next.data();
    for (Eigen::Index k = 0; k < n; ++k) w[k] = up[k] + dn[k] > 0 ? next[k] : w[k];
  } else if (nt > 0) {
    // Every touched device has pulses (a Gaussian one expects at least kGaussianPulses).
    b.gather(nt, w, dw_up, dw_down, w_min, w_max);
    for (Eigen::Index i = 0; i < nt; ++i) {
      const int k = b.touched[std::size_t(i)];
      b.g_up[i] = up[k];
      b.g_dn[i] = dn[k];
      b.g_var_up[i] = var_up[k];
      b.g_var_dn[i] = var_dn[k];
    }
    respond_devices(response, b, nt, b.g_w.head(nt), b.g_a_u.head(nt), b.g_a_d.head(nt), b.g_w_min.head(nt),
                    b.g_w_max.head(nt), b.g_up.head(nt), b.g_dn.head(nt), b.g_var_up.head(nt),
                    b.g_var_dn.head(nt), u.c2c, local);
    for (Eigen::Index i = 0; i < nt; ++i) w[b.touched[std::size_t(i)]] = b.next[i];
  }
  rng = local;
  return pulses;
}

void Crossbar::update_pulse_by_pulse(ConstMatRef x, ConstMatRef d, float lr, FastRng& rng) {
  if (!pulse_trains(x, d, lr)) return;
  const int bl = p_.update.bl, batch = int(x.rows());
  const float c2c = float(p_.device.dw_min_c2c);
  std::vector<int> rows_on, cols_on;
  double pulses = 0;
  std::visit(
      [&](const auto& response) {
        for (int s = 0; s < batch; ++s)
          for (int t = 0; t < bl; ++t) {
            // The pulse trains of this slot: each row and column fires independently.
            rows_on.clear();
            cols_on.clear();
            for (int i = 0; i < in_; ++i)
              if (rng.uniform() < p_rows_(s, i)) rows_on.push_back(i);
            for (int j = 0; j < out_; ++j)
              if (rng.uniform() < p_cols_(s, j)) cols_on.push_back(j);
            for (int j : cols_on)
              for (int i : rows_on) {
                if (masked() && present_(j, i) == 0.0f) continue;
                const bool up = (x(s, i) > 0) == (d(s, j) > 0);
                float& w = w_(j, i);
                const float step = up ? response.step_up(dev_.dw_up(j, i), w, dev_.w_max(j, i))
                                      : -response.step_down(dev_.dw_down(j, i), w, dev_.w_min(j, i));
                w += step * (1.0f + c2c * rng.normal());
                w = std::min(std::max(w, dev_.w_min(j, i)), dev_.w_max(j, i));
                pulses += 1;
              }
          }
      },
      p_.device.response);
  last_pulses_ = pulses;
}

// --- row writes ---------------------------------------------------------------------------------------

namespace {
// Whole nominal steps in |delta|, at most bl; the small margin keeps an exact multiple from losing a step
// to float rounding.
inline int whole_step_count(float delta, float dw_min, int bl) {
  return std::min(bl, int(std::abs(delta) / dw_min + 1e-3f));
}
}  // namespace

void Crossbar::whole_steps(MatRef delta, int max_steps) const {
  require(max_steps >= 1 && max_steps <= p_.update.bl, "{}: whole_steps allows 1..{} steps, got {}", name_,
          p_.update.bl, max_steps);
  if (p_.update.kind == UpdateKind::exact) return;
  const float dw = float(p_.device.dw_min);
  delta = delta.unaryExpr([&](float d) { return std::copysign(float(whole_step_count(d, dw, max_steps)) * dw, d); });
}

OpTime Crossbar::write_rows(ConstMatRef delta, int row0, double t_s, FastRng& rng, RowWrite mode, int bursts) {
  const int n = int(delta.cols());
  require(delta.rows() == out_ && row0 >= 0 && row0 + n <= in_,
          "{}: write_rows wants delta ({}, n) of rows in 0..{}, got {}x{} from row {}", name_, out_, in_ - 1,
          delta.rows(), delta.cols(), row0);
  require(bursts >= 1, "{}: write_rows needs at least one burst, got {}", name_, bursts);
  require(delta.allFinite(), "{}: write_rows got a non-finite weight change", name_);
  last_pulses_ = 0;
  if (p_.update.kind == UpdateKind::exact) {
    if (masked())
      w_.middleCols(row0, n).array() += delta.array() * present_.middleCols(row0, n).array();
    else
      w_.middleCols(row0, n) += delta;
    dirty_ = true;
    return OpTime{0.0};
  }
  const int bl = p_.update.bl * bursts;
  // Each row fires in all of its slots (its generator's spread still applies); the column generators see
  // the row's changes, one row per "sample". (Whole-step writes count their own pulses, but the generators'
  // operations are the same, and costed here.)
  Eigen::Map<Mat> p_rows = grown_view(write_rows_p_, 1, in_), delta_t = grown_view(write_delta_t_, n, out_);
  Eigen::Map<Mat> p_cols = grown_view(write_cols_p_, n, out_), mu = grown_view(write_mu_, out_, n);
  if (ones_row_.cols() != in_) ones_row_.setOnes(1, in_);
  row_pulses_.probabilities(p_rows, ones_row_, 1.0f);
  delta_t = delta.transpose();
  col_pulses_.probabilities(p_cols, delta_t, float(1.0 / (bl * p_.device.dw_min)));
  mu = p_cols.transpose();
  // Each row's share of the expected pulses, scaled in place: as an expression Eigen would evaluate it into
  // a temporary for every write.
  auto rows_bl = p_rows.row(0).segment(row0, n);
  rows_bl *= float(bl);
  mu.array().rowwise() *= rows_bl.array();
  const bool whole = mode == RowWrite::whole_steps;
  const float c2c = float(p_.device.dw_min_c2c);
  const float fbl = float(bl), dw_min = float(p_.device.dw_min);
  // In fixed blocks of outputs (on_blocks): a device with mu expected pulses gets Binomial(BL, mu / BL) of
  // them (whole steps: floor(|delta| / dw_min)) in delta's direction, all devices of a block that get any
  // respond at once, with the response's code (one visit per write).
  last_pulses_ = std::visit(
      [&](const auto& response) {
        return on_blocks((out_ + kBlockRows - 1) / kBlockRows, rng, [&](int blk, FastRng& br) {
          BlockWork& b = block_work();
          const int r0 = blk * kBlockRows, r1 = std::min(out_, r0 + kBlockRows);
          b.reserve(Eigen::Index(r1 - r0) * n);
          Eigen::Index nt = 0;
          double pulses = 0;
          for (int r = r0; r < r1; ++r)
            for (int j = 0; j < n; ++j) {
              int count;
              if (masked() && present_(r, row0 + j) == 0.0f) continue;  // no device: nothing drawn
              if (whole) {
                count = whole_step_count(delta(r, j), dw_min, bl);
              } else {
                const float m = mu(r, j), u = br.uniform();
                if (m <= 0 || u < 1.0f - m) continue;  // 1 - mu <= P(0): no pulse
                // Many pulses: the Gaussian limit, as in the sampled update (mean and variance exact, rounded).
                count = m < kGaussianPulses
                            ? binomial_inverse(m, fbl, u)
                            : std::clamp(int(std::lround(m + std::sqrt(m * (1.0f - m / fbl)) * br.normal())), 0, bl);
              }
              if (count == 0) continue;
              const bool up = delta(r, j) > 0;
              b.touched[std::size_t(nt)] = r * in_ + row0 + j;
              b.g_up[nt] = up ? float(count) : 0.0f;
              b.g_dn[nt] = up ? 0.0f : float(count);
              ++nt;
              pulses += count;
            }
          if (nt == 0) return pulses;
          b.gather(nt, w_.data(), dev_.dw_up.data(), dev_.dw_down.data(), dev_.w_min.data(), dev_.w_max.data());
          b.g_var_up.head(nt).setZero();
          b.g_var_dn.head(nt).setZero();
          respond_devices(response, b, nt, b.g_w.head(nt), b.g_a_u.head(nt), b.g_a_d.head(nt), b.g_w_min.head(nt),
                          b.g_w_max.head(nt), b.g_up.head(nt), b.g_dn.head(nt), b.g_var_up.head(nt),
                          b.g_var_dn.head(nt), c2c, br);
          for (Eigen::Index i = 0; i < nt; ++i) w_.data()[b.touched[std::size_t(i)]] = b.next[i];
          return pulses;
        });
      },
      p_.device.response);
  ledger_->add(pulse_counter_, last_pulses_);
  t_program_s_ = t_s;
  dirty_ = true;
  return OpTime{bursts * rows_time_ns(n, true)};
}

// --- charge sharing -------------------------------------------------------------------------------------

OpTime Crossbar::share_charge(float keep, double t_s, FastRng& rng) {
  require(keep >= 0 && keep <= 1, "{}: share_charge keeps a fraction in [0, 1] of every weight, got {}", name_, keep);
  require(can_share_charge(), "{}: device '{}' stores no charge to share (device.charge_sharing false)", name_,
          p_.device.name);
  if (p_.update.kind == UpdateKind::exact) {
    w_ *= keep;  // an empty cross-point's 0 stays 0
    dirty_ = true;
    return OpTime{0.0};
  }
  const float sigma = float(p_.device.share_noise);
  // In fixed blocks of outputs (on_blocks), each device clamped to its own bounds.
  on_blocks((out_ + kBlockRows - 1) / kBlockRows, rng, [&](int blk, FastRng& br) {
    const int r0 = blk * kBlockRows, n = std::min(out_, r0 + kBlockRows) - r0;
    auto w = w_.middleRows(r0, n);
    w *= keep;
    if (sigma > 0)
      for (Eigen::Index r = 0; r < w.rows(); ++r)
        for (Eigen::Index c = 0; c < w.cols(); ++c) w(r, c) += sigma * br.normal();
    w = w.cwiseMax(dev_.w_min.middleRows(r0, n)).cwiseMin(dev_.w_max.middleRows(r0, n));
    if (masked()) w.array() *= present_.middleRows(r0, n).array();  // no capacitor, no charge, no noise
    return 0.0;
  });
  ledger_->add(share_counter_, double(pairs()));
  t_program_s_ = t_s;
  dirty_ = true;
  return OpTime{p_.timing.t_pulse_ns};
}

}  // namespace mortal::hw
