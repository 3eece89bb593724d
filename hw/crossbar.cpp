#include "hw/crossbar.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/parallel.h"

namespace mortal::hw {

namespace {

// Runs f(block, rng) for blocks 0 .. blocks - 1 on the cores, each block with its own stream under one key
// drawn from rng, so the numbers do not depend on the thread count; returns f's results summed in block
// order.
template <typename F>
double on_blocks(int blocks, FastRng& rng, const F& f) {
  std::vector<double> part(std::size_t(blocks), 0.0);
  const std::uint64_t key = rng();
  parallel_for(blocks, [&](int blk) {
    FastRng r(key, std::uint64_t(blk));
    part[std::size_t(blk)] = f(blk, r);
  });
  double sum = 0;
  for (double p : part) sum += p;
  return sum;
}

}  // namespace

// --- parameters ---------------------------------------------------------------------------------------

void UpdateParams::validate() const {
  require(bl >= 1, "update.bl must be >= 1, got {}", bl);
}

void ProgramParams::validate() const {
  require(max_iterations >= 1, "program.max_iterations must be >= 1, got {}", max_iterations);
  check_nonnegative("program.tolerance", tolerance);
}

void TimingParams::validate() const {
  check_nonnegative("timing.t_dac_ns", t_dac_ns);
  check_nonnegative("timing.t_read_ns", t_read_ns);
  check_nonnegative("timing.t_adc_ns", t_adc_ns);
  require(columns_per_adc >= 1, "timing.columns_per_adc must be >= 1, got {}", columns_per_adc);
  check_nonnegative("timing.t_pulse_ns", t_pulse_ns);
  check_nonnegative("timing.t_program_ns", t_program_ns);
}

void CrossbarParams::validate() const {
  device.validate();
  require(max_rows >= 1, "max_rows must be >= 1, got {}", max_rows);
  require(max_cols >= 1, "max_cols must be >= 1, got {}", max_cols);
  check_positive("w_scale", w_scale);
  check_positive("v_read_v", v_read_v);
  dac.validate("dac");
  adc.validate("adc");
  check_nonnegative("out_noise", out_noise);
  check_nonnegative("ir_drop_ohm", ir_drop_ohm);
  pulse_gen.validate("pulse_gen");
  update.validate();
  program.validate();
  timing.validate();
}

CrossbarParams ideal_crossbar() {
  CrossbarParams p;
  p.device = ideal_device();
  p.dac.quantize = false;
  p.adc.quantize = false;
  p.update.kind = UpdateKind::exact;
  return p;
}

CrossbarParams crossbar_preset(const std::string& device) {
  if (device == "ideal") return ideal_crossbar();
  CrossbarParams p;
  p.device = device_preset(device);
  p.out_noise = 0.06;  // aihwkit IOParameters out_noise default
  return p;
}

// --- construction -------------------------------------------------------------------------------------

Crossbar::Crossbar(std::string name, const CrossbarParams& params, Ledger& ledger, int out, int in,
                   std::uint64_t seed, std::string stream)
    : name_(std::move(name)),
      stream_(stream.empty() ? name_ : std::move(stream)),
      p_(params),
      ledger_(&ledger),
      out_(out),
      in_(in),
      row_tiles_((in + params.max_rows - 1) / std::max(params.max_rows, 1)),
      col_tiles_((out + params.max_cols - 1) / std::max(params.max_cols, 1)),
      g_unit_us_(params.device.g_unit_us()),
      dac_(name_ + ".dac", params.dac, ledger),
      row_pulses_(name_ + ".row_pulses", params.pulse_gen, ledger),
      col_pulses_(name_ + ".col_pulses", params.pulse_gen, ledger),
      w_(Mat::Zero(out, in)),
      mode_(params.read_noise_mode),
      read_counter_(ledger.counter(name_, "crossbar_read", 0.0)),
      pulse_counter_(ledger.counter(name_, "pulse", ledger.params().pulse_pj)),
      program_counter_(ledger.counter(name_, "program_pulse", ledger.params().pulse_pj)),
      share_counter_(params.device.charge_sharing
                         ? ledger.counter(name_, "charge_share", ledger.params().periphery_op_pj)
                         : ~Ledger::Handle(0)) {
  p_.validate();
  require(out >= 1 && in >= 1, "{}: a crossbar needs at least one input and one output, got {} x {}", name_,
          out, in);
  const int n_adc = p_.adc_per_tile ? row_tiles_ : 1;
  for (int k = 0; k < n_adc; ++k)
    adcs_.emplace_back(n_adc == 1 ? name_ + ".adc" : name_ + ".adc" + std::to_string(k), p_.adc, ledger);
  sample(seed);
}

void Crossbar::sample(std::uint64_t seed) {
  Rng r = make_rng(seed, stream_ + ".devices");
  sample_devices(dev_, p_.device, out_, in_, r);
  Rng rd = make_rng(seed, stream_ + ".dac");
  dac_.sample(in_, rd);
  for (std::size_t k = 0; k < adcs_.size(); ++k) {
    Rng ra = make_rng(seed, stream_ + ".adc", k);
    adcs_[k].sample(out_, ra);
  }
  Rng rr = make_rng(seed, stream_ + ".row_pulses");
  row_pulses_.sample(in_, rr);
  Rng rc = make_rng(seed, stream_ + ".col_pulses");
  col_pulses_.sample(out_, rc);
  dirty_ = true;
}

void Crossbar::reseed(std::uint64_t seed) {
  sample(seed);
  out_gain_ = 1.0f;
}

bool Crossbar::conductance_path() const {
  const auto& d = p_.device;
  return d.drift || d.stuck_gmin_rate > 0 || d.stuck_gmax_rate > 0 || p_.ir_drop_ohm > 0;
}

bool Crossbar::read_noise_on() const { return p_.device.read_noise_rel > 0 || p_.device.read_noise_1f; }

// --- derived state ------------------------------------------------------------------------------------

void Crossbar::refresh(double t_s) {
  const auto& d = p_.device;
  const double dt = std::max(0.0, t_s - t_program_s_);
  double log_t = d.drift ? std::log((dt + d.drift_t0_s) / d.drift_t0_s) : 0.0;
  // Drift below a part per million (nu ln t < 1e-6 with nu <= 0.1) is not applied: in training the drift
  // clock restarts at every update, and each device's drift exponent would cost more than the update.
  if (log_t < 1e-5) log_t = 0.0;
  // 1/f: sigma^2 grows with ln((t + t_read) / (2 t_read)) (Nandakumar 2019), none before t_read.
  const double t_r = d.t_read_1f_ns * 1e-9;
  const double c2 = d.read_noise_1f ? std::max(0.0, std::log((dt + t_r) / (2 * t_r))) : 0.0;
  // The cache holds while the drift factor moves by less than float resolution (1e-6 in ln t times
  // nu <= 0.1 gives < 1e-7) and the 1/f variance by less than 0.1%.
  const bool drift_moved = d.drift && std::abs(log_t - cached_log_t_) > 1e-6;
  const bool noise_moved = d.read_noise_1f && std::abs(c2 - cached_c2_) > 1e-3 * std::max(cached_c2_, 1e-3);
  if (!dirty_ && !drift_moved && !noise_moved) return;
  rebuild(log_t, c2);
}

void Crossbar::rebuild(double log_t, double c2) {
  const auto& d = p_.device;
  const float gmin = float(d.g_min_us), gmax = float(d.g_max_us), gu = float(g_unit_us_);
  const bool cpath = conductance_path(), noisy = read_noise_on();
  const bool fresh = dirty_;  // written since the last rebuild: programmed conductances changed
  if (fresh) {
    nu_stale_ = true;
    // Both devices' conductances summed over each row, as programmed, for the read energy.
    g_row_sum_us_ = ((gmin + w_.array().cwiseMax(0.0f) * gu) + (gmin + (-w_.array()).cwiseMax(0.0f) * gu))
                        .matrix()
                        .colwise()
                        .sum();
  }
  if (!cpath && !noisy) {
    dirty_ = false;
    cached_log_t_ = log_t;
    cached_c2_ = c2;
    return;
  }
  const bool drift = d.drift && log_t > 0, new_nu = drift && nu_stale_;
  const bool new_q = d.read_noise_1f && fresh;
  gp_.resize(out_, in_);
  gm_.resize(out_, in_);
  if (new_q) {
    q_p_.resize(out_, in_);
    q_m_.resize(out_, in_);
  }
  if (new_nu) {
    nu_p_.resize(out_, in_);
    nu_m_.resize(out_, in_);
  }
  if (cpath) weff_.resize(out_, in_);
  if (noisy) var_.resize(out_, in_);
  // ln x, x = g / g_max: the argument of the PCM statistics (device.h).
  const auto ln_x = [&](const auto& g) { return ArrayF((g.array() * (1.0f / gmax)).max(1e-12f).log()); };
  const float lt = float(log_t), rw2 = float(d.read_noise_rel * d.read_noise_rel), gu2 = gu * gu;
  // Every device on its own: fixed blocks of rows on the cores.
  const int blocks = (out_ + kBlockRows * 4 - 1) / (kBlockRows * 4);
  parallel_for(blocks, [&](int blk) {
    const int r0 = blk * kBlockRows * 4, nr = std::min(out_ - r0, kBlockRows * 4);
    auto gp = gp_.middleRows(r0, nr), gm = gm_.middleRows(r0, nr);
    const auto w = w_.middleRows(r0, nr);
    // Programmed conductances: positive weights on G+, negative on G-, the other device at g_min.
    gp = (gmin + w.array().cwiseMax(0.0f) * gu).matrix();
    gm = (gmin + (-w.array()).cwiseMax(0.0f) * gu).matrix();
    // The 1/f coefficient depends on the programmed conductance (pcm_1f_q).
    if (new_q) {
      q_p_.middleRows(r0, nr) = pcm_1f_q(ln_x(gp)).matrix();
      q_m_.middleRows(r0, nr) = pcm_1f_q(ln_x(gm)).matrix();
    }
    if (drift) {
      if (new_nu) {
        // Each device's drift exponent, from its programmed conductance (pcm_drift_nu_mean / _sd).
        const auto nu_of = [&](const auto& g, const Mat& z, Mat& nu) {
          const auto zb = z.middleRows(r0, nr).array();
          if (!d.drift_pcm_nu) {
            nu.middleRows(r0, nr) = (float(d.drift_nu) + float(d.drift_nu_dtod) * zb).abs().matrix();
            return;
          }
          const ArrayF lx = ln_x(g);
          nu.middleRows(r0, nr) = (pcm_drift_nu_mean(lx) + pcm_drift_nu_sd(lx) * zb).abs().matrix();
        };
        nu_of(gp, dev_.nu_z_plus, nu_p_);
        nu_of(gm, dev_.nu_z_minus, nu_m_);
      }
      gp.array() *= (-nu_p_.middleRows(r0, nr).array() * lt).exp();
      gm.array() *= (-nu_m_.middleRows(r0, nr).array() * lt).exp();
    }
    if (d.stuck_gmin_rate > 0 || d.stuck_gmax_rate > 0)
      for (int r = r0; r < r0 + nr; ++r)
        for (int c = 0; c < in_; ++c) {
          if (dev_.stuck_plus(r, c)) gp_(r, c) = dev_.stuck_plus(r, c) == 1 ? gmin : gmax;
          if (dev_.stuck_minus(r, c)) gm_(r, c) = dev_.stuck_minus(r, c) == 1 ? gmin : gmax;
        }
    if (cpath) weff_.middleRows(r0, nr) = (gp - gm) / gu;
    if (noisy) {
      auto var = var_.middleRows(r0, nr);
      var = (rw2 * (gp.array().square() + gm.array().square()) / gu2).matrix();
      if (d.read_noise_1f)
        var.array() += float(c2) * ((gp.array() * q_p_.middleRows(r0, nr).array()).square() +
                                    (gm.array() * q_m_.middleRows(r0, nr).array()).square()) /
                       gu2;
    }
  });
  if (drift) nu_stale_ = false;
  if (cpath && p_.ir_drop_ohm > 0) {
    // First-order word-line IR drop: the voltage at output position j of a tile falls by
    // r sum_{k<=j} sum_{m>=k} G_m, the currents of all cells downstream of each wire segment.
    const double r_ohm = p_.ir_drop_ohm;
    for (int c = 0; c < in_; ++c)
      for (int t0 = 0; t0 < out_; t0 += p_.max_cols) {
        const int t1 = std::min(out_, t0 + p_.max_cols);
        double suffix = 0;
        for (int j = t0; j < t1; ++j) suffix += (gp_(j, c) + gm_(j, c)) * 1e-6;
        double drop = 0;
        for (int j = t0; j < t1; ++j) {
          drop += r_ohm * suffix;
          suffix -= (gp_(j, c) + gm_(j, c)) * 1e-6;
          weff_(j, c) *= float(std::max(0.0, 1.0 - drop));
        }
      }
  }
  dirty_ = false;
  cached_log_t_ = log_t;
  cached_c2_ = c2;
}

const Mat& Crossbar::effective_weights(double t_s) {
  refresh(t_s);
  return conductance_path() ? weff_ : w_;
}

const Mat& Crossbar::read_variance(double t_s) {
  refresh(t_s);
  if (!read_noise_on()) var_.setZero(out_, in_);
  return var_;
}

void Crossbar::conductances(MatRef gp, MatRef gm, double t_s) {
  refresh(t_s);
  if (!conductance_path() && !read_noise_on()) {
    const float gmin = float(p_.device.g_min_us), gu = float(g_unit_us_);
    gp = (gmin + w_.array().cwiseMax(0.0f) * gu).matrix();
    gm = (gmin + (-w_.array()).cwiseMax(0.0f) * gu).matrix();
    return;
  }
  gp = gp_;
  gm = gm_;
}

// --- forward ------------------------------------------------------------------------------------------

double Crossbar::forward_time_ns(int batch, ForwardIO io) const {
  const auto& t = p_.timing;
  // Samples are consecutive time steps; all tiles and columns work in parallel, ADCs serve
  // columns_per_adc columns one after another.
  return batch * ((io.dac ? t.t_dac_ns : 0.0) + t.t_read_ns + (io.adc ? t.t_adc_ns * t.columns_per_adc : 0.0));
}

void Crossbar::book_read(int batch, bool dac) {
  // E = sum_b sum_i V_bi^2 G_i t_read with G_i the total conductance on row i; uS * ns * V^2 = 1e-3 pJ.
  const double v_per_unit = p_.v_read_v / p_.dac.range;
  const double sum_v2g = double(xq_.colwise().squaredNorm().dot(g_row_sum_us_));
  const double e_pj = v_per_unit * v_per_unit * sum_v2g * p_.timing.t_read_ns * 1e-3;
  ledger_->add_integrated(read_counter_, double(batch) * in_ * out_, e_pj);
  if (dac) dac_.book(double(batch) * in_ * col_tiles_);
}

void Crossbar::analog_product(MatRef z, int col0, int ncols, FastRng& rng) {
  const Mat& w = conductance_path() ? weff_ : w_;
  const bool noisy = read_noise_on();
  const float out_var = float(p_.out_noise * p_.out_noise);
  if (!noisy && out_var == 0) {
    // Noise-free: the digital array's product (model/digital_array.cpp), so that an ideal crossbar
    // reproduces it bit for bit.
    if (col0 == 0 && ncols == in_)
      z.noalias() = xq_ * w.transpose();
    else
      z.noalias() = xq_.middleCols(col0, ncols) * w.middleCols(col0, ncols).transpose();
    return;
  }
  if (col0 == 0 && ncols == in_)
    parallel_product(z, xq_, w.transpose());
  else
    parallel_product(z, xq_.middleCols(col0, ncols), w.middleCols(col0, ncols).transpose());
  if (noisy && mode_ == ReadNoiseMode::per_device) {
    // Exact: every device draws its own read noise for every sample.
    for (Eigen::Index b = 0; b < z.rows(); ++b)
      for (Eigen::Index j = 0; j < z.cols(); ++j) {
        float s = 0;
        for (int i = col0; i < col0 + ncols; ++i) s += xq_(b, i) * std::sqrt(var_(j, i)) * rng.normal();
        z(b, j) += s;
      }
    if (out_var > 0)
      for (Eigen::Index b = 0; b < z.rows(); ++b)
        for (Eigen::Index j = 0; j < z.cols(); ++j) z(b, j) += float(p_.out_noise) * rng.normal();
    return;
  }
  // One Gaussian per output: read noise variance sum_i x_i^2 sigma_ij^2 plus the output noise variance.
  if (noisy) {
    xsq_ = xq_.middleCols(col0, ncols).array().square().matrix();
    zvar_.resize(z.rows(), z.cols());
    parallel_product(zvar_, xsq_, var_.middleCols(col0, ncols).transpose());
  } else {
    zvar_.setZero(z.rows(), z.cols());
  }
  // In fixed blocks of samples (on_blocks).
  const Eigen::Index rows = z.rows(), cols = z.cols();
  on_blocks(int((rows + kNoiseBlockRows - 1) / kNoiseBlockRows), rng, [&](int blk, FastRng& r) {
    thread_local Eigen::ArrayXf normals, scratch;
    const Eigen::Index b0 = Eigen::Index(blk) * kNoiseBlockRows, nb = std::min(kNoiseBlockRows, rows - b0);
    fill_normal_bulk(normals, nb * cols, r, scratch);
    for (Eigen::Index b = b0; b < b0 + nb; ++b)
      z.row(b).array() +=
          (zvar_.row(b).array() + out_var).sqrt() * normals.segment((b - b0) * cols, cols).transpose();
    return 0.0;
  });
}

OpTime Crossbar::forward(MatRef z, ConstMatRef x, double t_s, FastRng& rng, ForwardIO io) {
  require(x.cols() == in_ && z.cols() == out_ && z.rows() == x.rows(),
          "{}: forward wants x (batch, {}) and z (batch, {}), got x {}x{} and z {}x{}", name_, in_, out_,
          x.rows(), x.cols(), z.rows(), z.cols());
  const int batch = int(x.rows());
  xq_.resize(batch, in_);
  if (io.dac) {
    dac_.convert(xq_, x, rng);
  } else if (p_.dac.quantize) {
    const float swing = float(p_.dac.range);
    xq_ = x.cwiseMax(-swing).cwiseMin(swing);
  } else {
    xq_ = x;  // ideal periphery: no swing limit
  }
  refresh(t_s);
  if (!io.adc) {
    // Partial sums of all tiles add as currents; the TIA output stays analog.
    analog_product(z, 0, in_, rng);
    if (p_.adc.quantize) {
      const float swing = float(p_.adc.range);
      z = z.cwiseMax(-swing).cwiseMin(swing);
    }
  } else if (adcs_.size() == 1) {
    analog_product(z, 0, in_, rng);
    adcs_[0].convert(z, rng);
  } else {
    z.setZero();
    part_.resize(batch, out_);
    for (int k = 0; k < row_tiles_; ++k) {
      const int c0 = k * p_.max_rows, n = std::min(in_, c0 + p_.max_rows) - c0;
      analog_product(part_, c0, n, rng);
      adcs_[k].convert(part_, rng);
      z += part_;
    }
  }
  const float scale = float(p_.w_scale) * out_gain_;
  if (scale != 1.0f) z *= scale;
  book_read(batch, io.dac);
  return OpTime{forward_time_ns(batch, io)};
}

OpTime Crossbar::forward_per_device(MatRef z, ConstMatRef x, double t_s, FastRng& rng) {
  const ReadNoiseMode saved = mode_;
  mode_ = ReadNoiseMode::per_device;
  OpTime t = forward(z, x, t_s, rng);
  mode_ = saved;
  return t;
}

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
  Eigen::ArrayXf normals, scratch, sd, alpha, beta, em1, next;
  std::vector<int> hits, touched;
  std::vector<float> draws;
  void reserve(Eigen::Index n) {
    for (Eigen::ArrayXf* a : {&up, &dn, &var_up, &var_dn, &gauss, &g_w, &g_a_u, &g_a_d, &g_w_min, &g_w_max, &g_up,
                              &g_dn, &g_var_up, &g_var_dn, &sd, &alpha, &beta, &em1, &next})
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
// counts with variances v_up, v_dn): the step equation dw/ds = e_up s_up(w) - e_dn s_down(w) is affine
// in w, so w' = w e^-beta + alpha (1 - e^-beta) / beta; cycle-to-cycle noise adds c2c^2 s^2 per pulse and
// the counts their variance, with the steps at the current weight. New weights, within the bounds, in
// b.next. Vectorised: no select (Eigen 3.4 evaluates it one coefficient at a time).
template <typename W, typename A, typename C>
void respond_devices(BlockWork& b, Eigen::Index nt, const W& w, const A& a_u, const A& a_d, const A& w_min,
                     const A& w_max, const C& e_up, const C& e_dn, const C& v_up, const C& v_dn, float g_up,
                     float g_down, float c2c, FastRng& rng) {
  fill_normal_bulk(b.normals, nt, rng, b.scratch);
  const auto s_u = a_u * (1.0f - g_up * w / w_max);
  const auto s_d = a_d * (1.0f - g_down * w / w_min);
  const float c2 = c2c * c2c;
  b.sd.head(nt) = (s_u.square() * (v_up + c2 * e_up) + s_d.square() * (v_dn + c2 * e_dn)).sqrt();
  b.alpha.head(nt) = e_up * a_u - e_dn * a_d;
  auto next = b.next.head(nt);
  if (g_up != 0 || g_down != 0) {
    b.beta.head(nt) = (e_up * a_u * (g_up / w_max) - e_dn * a_d * (g_down / w_min)).max(1e-30f);
    b.em1.head(nt) = (-b.beta.head(nt)).expm1();
    next = w * (1.0f + b.em1.head(nt)) - b.alpha.head(nt) * b.em1.head(nt) / b.beta.head(nt);
  } else {
    next = w + b.alpha.head(nt);
  }
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
  u.g_up = float(dev_.gamma_up);
  u.g_down = float(dev_.gamma_down);
  u.c2c = float(p_.device.dw_min_c2c);
  // The devices in fixed blocks of rows (on_blocks).
  last_pulses_ = on_blocks((out_ + kBlockRows - 1) / kBlockRows, rng, [&](int blk, FastRng& r) {
    const Eigen::Index k0 = Eigen::Index(blk) * kBlockRows * in_;
    const Eigen::Index n = Eigen::Index(std::min(out_ - blk * kBlockRows, kBlockRows)) * in_;
    return update_block(u, k0, n, r);
  });
}

// Devices k0 .. k0 + n - 1 of a sampled update; returns the pulses they received. Three passes: the
// set-up (which branch), the scalar draws of the small counts, and one vectorised response of every
// device that changes (gathered first when they are few, as in FF training, where most devices get no
// pulse in a batch). Plain loops where a device's branch is chosen: Eigen 3.4's select is evaluated one
// coefficient at a time.
double Crossbar::update_block(const SampledUpdate& u, Eigen::Index k0, Eigen::Index n, FastRng& rng) {
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
    respond_devices(b, n, CMap(w, n), CMap(dw_up, n), CMap(dw_down, n), CMap(w_min, n), CMap(w_max, n),
                    b.up.head(n), b.dn.head(n), b.var_up.head(n), b.var_dn.head(n), u.g_up, u.g_down, u.c2c, local);
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
    respond_devices(b, nt, b.g_w.head(nt), b.g_a_u.head(nt), b.g_a_d.head(nt), b.g_w_min.head(nt),
                    b.g_w_max.head(nt), b.g_up.head(nt), b.g_dn.head(nt), b.g_var_up.head(nt),
                    b.g_var_dn.head(nt), u.g_up, u.g_down, u.c2c, local);
    for (Eigen::Index i = 0; i < nt; ++i) w[b.touched[std::size_t(i)]] = b.next[i];
  }
  rng = local;
  return pulses;
}

void Crossbar::update_pulse_by_pulse(ConstMatRef x, ConstMatRef d, float lr, FastRng& rng) {
  if (!pulse_trains(x, d, lr)) return;
  const int bl = p_.update.bl, batch = int(x.rows());
  const float g_up = float(dev_.gamma_up), g_down = float(dev_.gamma_down), c2c = float(p_.device.dw_min_c2c);
  std::vector<int> rows_on, cols_on;
  double pulses = 0;
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
          const bool up = (x(s, i) > 0) == (d(s, j) > 0);
          float& w = w_(j, i);
          const float step = up ? dev_.dw_up(j, i) * (1.0f - g_up * w / dev_.w_max(j, i))
                                : -dev_.dw_down(j, i) * (1.0f - g_down * w / dev_.w_min(j, i));
          w += step * (1.0f + c2c * rng.normal());
          w = std::min(std::max(w, dev_.w_min(j, i)), dev_.w_max(j, i));
          pulses += 1;
        }
    }
  last_pulses_ = pulses;
}

// --- row-by-row transfers -----------------------------------------------------------------------------

OpTime Crossbar::read_rows(MatRef r, int row0, double t_s, FastRng& rng) {
  const int n = int(r.cols());
  require(r.rows() == out_ && row0 >= 0 && row0 + n <= in_, "{}: read_rows wants r ({}, n) of rows in 0..{}, got {}x{} from row {}",
          name_, out_, in_ - 1, r.rows(), r.cols(), row0);
  refresh(t_s);
  r = (conductance_path() ? weff_ : w_).middleCols(row0, n) * out_gain_;
  const float out_var = float(p_.out_noise * p_.out_noise);
  if (read_noise_on() || out_var > 0) {
    fill_normal_bulk(normals_, r.size(), rng, scratch_);
    const Eigen::Map<const Mat> z(normals_.data(), out_, n);
    if (read_noise_on())
      r.array() += (var_.middleCols(row0, n).array() + out_var).sqrt() * z.array();
    else
      r.array() += std::sqrt(out_var) * z.array();
  }
  if (p_.adc.quantize) r = r.cwiseMax(-float(p_.adc.range)).cwiseMin(float(p_.adc.range));
  // One row at a time at the full read voltage: E = sum_i V^2 G_i t_read.
  const double e_pj =
      p_.v_read_v * p_.v_read_v * double(g_row_sum_us_.segment(row0, n).sum()) * p_.timing.t_read_ns * 1e-3;
  ledger_->add_integrated(read_counter_, double(n) * out_, e_pj);
  return OpTime{rows_time_ns(n, false)};
}

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
    w_.middleCols(row0, n) += delta;
    dirty_ = true;
    return OpTime{0.0};
  }
  const int bl = p_.update.bl * bursts;
  // Each row fires in all of its slots (its generator's spread still applies); the column generators see
  // the row's changes, one row per "sample". (Whole-step writes count their own pulses, but the generators'
  // operations are the same, and costed here.)
  p_rows_.resize(1, in_);
  if (ones_row_.cols() != in_) ones_row_.setOnes(1, in_);
  row_pulses_.probabilities(p_rows_, ones_row_, 1.0f);
  part_ = delta.transpose();
  p_cols_.resize(n, out_);
  col_pulses_.probabilities(p_cols_, part_, float(1.0 / (bl * p_.device.dw_min)));
  mu_tot_ = p_cols_.transpose();
  mu_tot_.array().rowwise() *= float(bl) * p_rows_.row(0).segment(row0, n).array();
  const bool whole = mode == RowWrite::whole_steps;
  const float g_up = float(dev_.gamma_up), g_down = float(dev_.gamma_down), c2c = float(p_.device.dw_min_c2c);
  const float fbl = float(bl), dw_min = float(p_.device.dw_min);
  // In fixed blocks of outputs (on_blocks): a device with mu expected pulses gets Binomial(BL, mu / BL) of
  // them (whole steps: floor(|delta| / dw_min)) in delta's direction, all devices of a block that get any
  // respond at once.
  last_pulses_ = on_blocks((out_ + kBlockRows - 1) / kBlockRows, rng, [&](int blk, FastRng& br) {
    BlockWork& b = block_work();
    const int r0 = blk * kBlockRows, r1 = std::min(out_, r0 + kBlockRows);
    b.reserve(Eigen::Index(r1 - r0) * n);
    Eigen::Index nt = 0;
    double pulses = 0;
    for (int r = r0; r < r1; ++r)
      for (int j = 0; j < n; ++j) {
        int count;
        if (whole) {
          count = whole_step_count(delta(r, j), dw_min, bl);
        } else {
          const float mu = mu_tot_(r, j), u = br.uniform();
          if (mu <= 0 || u < 1.0f - mu) continue;  // 1 - mu <= P(0): no pulse
          // Many pulses: the Gaussian limit, as in the sampled update (mean and variance exact, rounded).
          count = mu < kGaussianPulses
                      ? binomial_inverse(mu, fbl, u)
                      : std::clamp(int(std::lround(mu + std::sqrt(mu * (1.0f - mu / fbl)) * br.normal())), 0, bl);
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
    respond_devices(b, nt, b.g_w.head(nt), b.g_a_u.head(nt), b.g_a_d.head(nt), b.g_w_min.head(nt),
                    b.g_w_max.head(nt), b.g_up.head(nt), b.g_dn.head(nt), b.g_var_up.head(nt),
                    b.g_var_dn.head(nt), g_up, g_down, c2c, br);
    for (Eigen::Index i = 0; i < nt; ++i) w_.data()[b.touched[std::size_t(i)]] = b.next[i];
    return pulses;
  });
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
    w_ *= keep;
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
    return 0.0;
  });
  ledger_->add(share_counter_, double(out_) * in_);
  t_program_s_ = t_s;
  dirty_ = true;
  return OpTime{p_.timing.t_pulse_ns};
}

// --- program and verify -------------------------------------------------------------------------------

OpTime Crossbar::program(ConstMatRef w, double t_s, FastRng& rng) {
  require(w.rows() == out_ && w.cols() == in_, "{}: program wants w ({}, {}), got {}x{}", name_, out_, in_,
          w.rows(), w.cols());
  const auto& d = p_.device;
  const float inv_scale = float(1.0 / p_.w_scale);
  Mat target = w;
  if (inv_scale != 1.0f) target *= inv_scale;
  target = target.cwiseMax(dev_.w_min).cwiseMin(dev_.w_max);
  if (d.n_states > 0) {
    // Reachable weights are multiples of one conductance level.
    const float level = float((d.g_max_us - d.g_min_us) / (d.n_states - 1) / g_unit_us_);
    target = ((target / level).array().round() * level).matrix();
  }
  int rounds = 1;
  double pulses = 0;
  if (d.prog_noise_scale == 0) {
    w_ = target;
    pulses = 2.0 * double(out_) * in_;
  } else {
    // Program-and-verify: write both devices of every pair not yet within tolerance, read back, repeat.
    const double gmin = d.g_min_us, gmax = d.g_max_us, gu = g_unit_us_;
    ByteMat done = ByteMat::Zero(out_, in_);
    for (rounds = 1; rounds <= p_.program.max_iterations; ++rounds) {
      int left = 0;
      for (int r = 0; r < out_; ++r)
        for (int c = 0; c < in_; ++c) {
          if (done(r, c)) continue;
          const double wt = target(r, c);
          const double gp_t = gmin + std::max(wt, 0.0) * gu, gm_t = gmin + std::max(-wt, 0.0) * gu;
          const double gp = std::clamp(
              gp_t + d.prog_noise_scale * pcm_prog_sigma_us(d.prog_noise, gp_t, gmax) * rng.normal(), gmin, gmax);
          const double gm = std::clamp(
              gm_t + d.prog_noise_scale * pcm_prog_sigma_us(d.prog_noise, gm_t, gmax) * rng.normal(), gmin, gmax);
          w_(r, c) = float((gp - gm) / gu);
          pulses += 2;
          if (std::abs(w_(r, c) - wt) <= p_.program.tolerance)
            done(r, c) = 1;
          else
            ++left;
        }
      if (left == 0) break;
    }
    rounds = std::min(rounds, p_.program.max_iterations);
  }
  ledger_->add(program_counter_, pulses);
  t_program_s_ = t_s;
  out_gain_ = 1.0f;
  dirty_ = true;
  return OpTime{double(rounds) * std::min(in_, p_.max_rows) * p_.timing.t_program_ns};
}

void Crossbar::read_weights(MatRef w, double t_s) {
  w = effective_weights(t_s) * float(p_.w_scale * out_gain_);
}

// --- drift compensation -------------------------------------------------------------------------------

double Crossbar::probe_response(ConstMatRef probe, double t_s, FastRng& rng, OpTime& t) {
  const float saved = out_gain_;
  out_gain_ = 1.0f;
  Mat z(probe.rows(), out_);
  t.ns += forward(z, probe, t_s, rng).ns;
  out_gain_ = saved;
  return double(z.cwiseAbs().sum());
}

OpTime Crossbar::calibrate_drift(ConstMatRef probe, double t_s, FastRng& rng) {
  OpTime t;
  const double response = probe_response(probe, t_s, rng, t);
  probe_reference_ = std::isfinite(response) && response > 0 ? response : 0.0;
  out_gain_ = 1.0f;
  return t;
}

OpTime Crossbar::compensate_drift(ConstMatRef probe, double t_s, FastRng& rng) {
  OpTime t;
  out_gain_ = 1.0f;
  if (!(probe_reference_ > 0)) return t;  // nothing to compensate against (calibrate_drift's probe read nothing)
  const double now = probe_response(probe, t_s, rng, t);
  const double gain = probe_reference_ / now;
  if (std::isfinite(gain) && gain > 0 && now > 0) out_gain_ = float(gain);
  return t;
}


// --- checkpoints ----------------------------------------------------------------------------------------

void Crossbar::save(Checkpoint& c, const std::string& prefix) const {
  c.put(prefix + ".w", w_);
  c.put(prefix + ".dw_up", dev_.dw_up);
  c.put(prefix + ".dw_down", dev_.dw_down);
  c.put(prefix + ".w_min", dev_.w_min);
  c.put(prefix + ".w_max", dev_.w_max);
  c.put(prefix + ".nu_z_plus", dev_.nu_z_plus);
  c.put(prefix + ".nu_z_minus", dev_.nu_z_minus);
  c.put(prefix + ".stuck_plus", Mat(dev_.stuck_plus.cast<float>()));
  c.put(prefix + ".stuck_minus", Mat(dev_.stuck_minus.cast<float>()));
  // The derived-state cache holds within a tolerance of time: a resumed run rebuilds it as of the same
  // moment (cached_log_t, cached_c2), so it continues bit for bit.
  c.put_json(prefix + ".scalars", {{"gamma_up", dev_.gamma_up},
                                   {"gamma_down", dev_.gamma_down},
                                   {"t_program_s", t_program_s_},
                                   {"out_gain", out_gain_},
                                   {"probe_reference", probe_reference_},
                                   {"cache_valid", !dirty_},
                                   {"cached_log_t", cached_log_t_},
                                   {"cached_c2", cached_c2_}});
}

void Crossbar::restore(const Checkpoint& c, const std::string& prefix) {
  // Shapes and finiteness checked by the reader, the physics here: a crafted checkpoint must not load a
  // state no device could be in.
  const auto dev = [&](const char* name, Mat& m) {
    Mat v;
    c.get(prefix + "." + name, v, out_, in_);
    m = std::move(v);
  };
  dev("w", w_);
  dev("dw_up", dev_.dw_up);
  dev("dw_down", dev_.dw_down);
  dev("w_min", dev_.w_min);
  dev("w_max", dev_.w_max);
  dev("nu_z_plus", dev_.nu_z_plus);
  dev("nu_z_minus", dev_.nu_z_minus);
  const auto flags = [&](const char* name, auto& to) {
    Mat stuck;
    dev(name, stuck);
    for (Eigen::Index i = 0; i < stuck.size(); ++i)
      require(stuck(i) == 0 || stuck(i) == 1 || stuck(i) == 2,
              "checkpoint entry '{}.{}' holds {}, not a stuck flag (0 free, 1 at g_min, 2 at g_max)", prefix,
              name, stuck(i));
    to = stuck.cast<std::uint8_t>();
  };
  flags("stuck_plus", dev_.stuck_plus);
  flags("stuck_minus", dev_.stuck_minus);
  const nlohmann::json& s = c.get_json(prefix + ".scalars");
  dev_.gamma_up = s.at("gamma_up").get<double>();
  dev_.gamma_down = s.at("gamma_down").get<double>();
  t_program_s_ = s.at("t_program_s").get<double>();
  out_gain_ = s.at("out_gain").get<float>();
  probe_reference_ = s.at("probe_reference").get<double>();
  const auto bad = [&](const std::string& what, Eigen::Index i) {
    fail("checkpoint entry '{}': the device at index {} {}", prefix, i, what);
  };
  for (Eigen::Index i = 0; i < w_.size(); ++i) {
    if (!(dev_.w_min(i) < 0 && 0 < dev_.w_max(i)))
      bad(fmt::format("has bounds [{}, {}], which do not hold 0", dev_.w_min(i), dev_.w_max(i)), i);
    if (!(dev_.dw_up(i) >= 0 && dev_.dw_down(i) >= 0))
      bad(fmt::format("has a negative step (dw_up {}, dw_down {})", dev_.dw_up(i), dev_.dw_down(i)), i);
  }
  require(std::isfinite(dev_.gamma_up) && std::isfinite(dev_.gamma_down) && std::isfinite(t_program_s_) &&
              std::isfinite(out_gain_) && out_gain_ > 0 && std::isfinite(probe_reference_) && probe_reference_ >= 0,
          "checkpoint entry '{}.scalars' holds an impossible value: {}", prefix, s.dump());
  dirty_ = true;
  if (s.at("cache_valid").get<bool>()) rebuild(s.at("cached_log_t").get<double>(), s.at("cached_c2").get<double>());
}

}  // namespace mortal::hw
