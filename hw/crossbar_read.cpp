// The crossbar's read path: forward passes (DAC, analog product with its noise, ADC) and row reads.
#include "hw/crossbar.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/parallel.h"
#include "hw/crossbar_blocks.h"

namespace mortal::hw {

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
  ledger_->add_integrated(read_counter_, cells(0, in_, batch), e_pj);
  if (dac) dac_.book(double(batch) * rows_driven_);
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
  ledger_->add_integrated(read_counter_, cells(row0, n, 1.0), e_pj);
  return OpTime{rows_time_ns(n, false)};
}

OpTime Crossbar::read_out(MatRef w, double t_s, FastRng& rng, int repeats) {
  require(w.rows() == out_ && w.cols() == in_, "{}: read_out wants w ({}, {}), got {}x{}", name_, out_, in_, w.rows(),
          w.cols());
  require(repeats >= 1, "{}: read_out repeats must be at least 1, got {}", name_, repeats);
  const double range = std::max(std::abs(p_.device.w_min), std::abs(p_.device.w_max));
  OpTime t;
  Mat r, y, sum;
  for (int row0 = 0; row0 < in_; row0 += p_.max_rows) {
    const int n = std::min(p_.max_rows, in_ - row0);
    r.resize(out_, n);
    // The ADC bank of the tile these rows are on converts: y (n, out), one conversion per output and row.
    // Each column's offset is taken off by a reference read with no row driven (the usual calibration of
    // a read-out); its gain, which no reference read reveals, stays. Repeated reads are averaged digitally,
    // each converted on its own.
    const Adc& adc = adcs_[std::min(std::size_t(row0 / p_.max_rows), adcs_.size() - 1)];
    sum.setZero(n, out_);
    for (int rep = 0; rep < repeats; ++rep) {
      t.ns += read_rows(r, row0, t_s, rng).ns;
      y = r.transpose();
      if (adc.channels() == out_) y = y.array().rowwise() * adc.gain().array();
      if (p_.adc.quantize) quantize_symmetric(y, p_.adc.bits, range);
      sum += y;
    }
    w.middleCols(row0, n) = sum.transpose() * float(p_.w_scale / repeats);
  }
  // A conversion per cross-point and read, and per column one more of the reference read.
  const double reads = double(in_) * repeats + 1;
  ledger_->add(ledger_->counter(name_, "weight_readout_adc", ledger_->params().adc_conversion_pj), reads * out_);
  // Each read's conversions: the ADCs in parallel, columns_per_adc columns one after another on each.
  t.ns += reads * p_.timing.columns_per_adc * p_.timing.t_adc_ns + rows_time_ns(1, false);
  return t;
}

}  // namespace mortal::hw
