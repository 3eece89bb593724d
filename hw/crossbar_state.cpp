// The crossbar's conductance state as the devices give it at a time: drift, 1/f read noise, faults, IR
// drop, recomputed lazily after writes and as time passes.
#include "hw/crossbar.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/parallel.h"
#include "hw/crossbar_blocks.h"

namespace mortal::hw {

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
    // Both devices' conductances summed over each row, as programmed, for the read energy (an empty
    // cross-point conducts nothing).
    const auto pair = (gmin + w_.array().cwiseMax(0.0f) * gu) + (gmin + (-w_.array()).cwiseMax(0.0f) * gu);
    if (masked())
      g_row_sum_us_ = (pair * present_.array()).matrix().colwise().sum();
    else
      g_row_sum_us_ = pair.matrix().colwise().sum();
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
  const auto ln_x = [&](ArrayFMap lx, const auto& g) { lx = (g.array() * (1.0f / gmax)).max(1e-12f).log(); };
  const float lt = float(log_t), rw2 = float(d.read_noise_rel * d.read_noise_rel), gu2 = gu * gu;
  // Every device on its own: fixed blocks of rows on the cores.
  const int blocks = (out_ + kBlockRows * 4 - 1) / (kBlockRows * 4);
  parallel_for(blocks, [&](int blk) {
    const int r0 = blk * kBlockRows * 4, nr = std::min(out_ - r0, kBlockRows * 4);
    auto gp = gp_.middleRows(r0, nr), gm = gm_.middleRows(r0, nr);
    // A block's ln x and the statistics of it, in this thread's buffers (grown_view): a refresh after every
    // write allocates nothing.
    thread_local Mat lx_store, stat_store, sd_store;
    const auto block_of = [&](Mat& store) { return ArrayFMap(grown_view(store, nr, in_).data(), nr, in_); };
    const ArrayFMap lx = block_of(lx_store), stat = block_of(stat_store), sd = block_of(sd_store);
    programmed_conductances(gp, gm, r0);
    // The 1/f coefficient depends on the programmed conductance (pcm_1f_q).
    if (new_q) {
      ln_x(lx, gp);
      pcm_1f_q(stat, lx);
      q_p_.middleRows(r0, nr) = stat.matrix();
      ln_x(lx, gm);
      pcm_1f_q(stat, lx);
      q_m_.middleRows(r0, nr) = stat.matrix();
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
          ln_x(lx, g);
          pcm_drift_nu_mean(stat, lx);
          pcm_drift_nu_sd(sd, lx);
          nu.middleRows(r0, nr) = (stat + sd * zb).abs().matrix();
        };
        nu_of(gp, dev_.nu_z_plus, nu_p_);
        nu_of(gm, dev_.nu_z_minus, nu_m_);
      }
      gp.array() *= (-nu_p_.middleRows(r0, nr).array() * lt).exp();
      gm.array() *= (-nu_m_.middleRows(r0, nr).array() * lt).exp();
    }
    if (d.faults())
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

void Crossbar::programmed_conductances(MatRef gp, MatRef gm, int r0) const {
  const float gmin = float(p_.device.g_min_us), gu = float(g_unit_us_);
  const auto w = w_.middleRows(r0, gp.rows()).array();
  gp = (gmin + w.cwiseMax(0.0f) * gu).matrix();
  gm = (gmin + (-w).cwiseMax(0.0f) * gu).matrix();
  if (masked()) {
    gp.array() *= present_.middleRows(r0, gp.rows()).array();
    gm.array() *= present_.middleRows(r0, gp.rows()).array();
  }
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
    programmed_conductances(gp, gm, 0);
    return;
  }
  gp = gp_;
  gm = gm_;
}

}  // namespace mortal::hw
