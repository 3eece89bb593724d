#include "sim/rules/periodic_carry.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace mortal {

void FineCarry::validate() const {
  require(factor == 0 || factor >= 1, "carry must be 0 (off) or at least 1 (the fine array's weight is 1/carry), got {}",
          factor);
  require(every >= 1, "carry-every must be at least 1, got {}", every);
  require(!hidden || factor > 0, "carry-hidden hides the fine array of a carry: it needs --carry > 0");
  require(!whole || factor == std::round(factor),
          "carry-whole needs a whole carry factor (a step of the weights is that many of the fine array's), got {}",
          factor);
}

double write_in_bursts(hw::Crossbar& c, ConstMatRef delta, int row0, double t_s, hw::FastRng& rng,
                       hw::Crossbar::RowWrite mode) {
  const double steps = double(delta.cwiseAbs().maxCoeff()) / c.params().device.dw_min;
  const int bursts = std::max(1, int(std::ceil(steps / c.burst_length() - 1e-6)));
  return c.write_rows(delta, row0, t_s, rng, mode, bursts).ns;
}

PeriodicCarry::PeriodicCarry(const FineCarry& p, hw::Chip& chip, int array)
    : p_(p), chip_(chip), array_(array), in_forward_(!p.hidden) {
  p_.validate();
  require(p_.on(), "periodic carry needs a carry factor (--carry), got {}", p_.factor);
  require(chip.extra_arrays() > array_, "periodic carry needs a fine array beside every layer (the chip's extra "
          "array {}), the chip has {}", array_, chip.extra_arrays());
  for (int k = 0; k < chip.layers(); ++k) {
    share_.push_back(row_share(fine(k).inputs(), p_.every));
    row_.push_back(0);
  }
  r_.resize(std::size_t(chip.layers()));
  dw_.resize(std::size_t(chip.layers()));
  z_.resize(std::size_t(chip.layers()));
}

// The pulses go to the fine array at factor times the step, and this step's share of its rows is carried
// into the weights.
double PeriodicCarry::step(const RuleStep& s) {
  double ns = s.ns;
  ns += fine(s.layer).update(s.x, s.d, float(p_.factor) * s.lr, s.t_s + s.ns * 1e-9, s.rng).ns;
  ns += carry_next_rows(s.layer, s.t_s + ns * 1e-9, s.rng);
  return ns;
}

// The fine array, driven by the same row voltages at the same time (the first layer's DAC serves both
// arrays: its conversions are counted once, and its rounding is modelled on the weights' array only, which
// carries factor times the fine array's share); its column currents join the weights' array's scaled by
// 1 / factor.
double PeriodicCarry::forward_extra(int k, MatRef z, ConstMatRef x, double t_s, hw::FastRng& rng) {
  if (!in_forward_) return 0;
  Mat& f = z_[std::size_t(k)];
  f.resize(z.rows(), z.cols());
  const double ns = fine(k).forward(f, x, t_s, rng, hw::ForwardIO{false, false}).ns;
  z += f * float(1 / p_.factor);
  return ns;
}

// Carries rows row0 .. row0 + n - 1 of layer k's fine array into its weights: each row read (analog,
// held), written into the weights' array at 1 / factor and, at the same time, its negative into itself.
double PeriodicCarry::carry_rows(int k, int row0, int n, double t_s, hw::FastRng& rng) {
  hw::Crossbar& fine = this->fine(k);
  // Views that reallocate nothing when a cycle's last share of rows is narrower than the others.
  Eigen::Map<Mat> r = grown_view(r_[std::size_t(k)], fine.outputs(), n);
  Eigen::Map<Mat> dw = grown_view(dw_[std::size_t(k)], fine.outputs(), n);
  double ns = fine.read_rows(r, row0, t_s, rng).ns;
  const double t_w = t_s + ns * 1e-9;
  hw::Crossbar& weights = chip_.weights(k);
  dw = r * float(1 / p_.factor);
  if (!p_.whole) {
    const double ns_w = chip_.write_weight_rows(k, dw, row0, t_w, rng).ns;
    dw *= -float(p_.factor);  // what was carried leaves the fine array
    return ns + std::max(ns_w, fine.write_rows(dw, row0, t_w, rng).ns);
  }
  weights.whole_steps(dw, weights.burst_length());
  const double ns_w = chip_.write_weight_rows(k, dw, row0, t_w, rng, hw::Crossbar::RowWrite::whole_steps).ns;
  dw *= -float(p_.factor);  // what was carried (nominally) leaves the fine array, in its own whole steps
  return ns + std::max(ns_w, write_in_bursts(fine, dw, row0, t_w, rng, hw::Crossbar::RowWrite::whole_steps));
}

double PeriodicCarry::carry_next_rows(int k, double t_s, hw::FastRng& rng) {
  const auto [row0, n] = next_rows(share_[std::size_t(k)], row_[std::size_t(k)], fine(k).inputs());
  return carry_rows(k, row0, n, t_s, rng);
}

void PeriodicCarry::finish(std::vector<hw::FastRng>& layer_rng) {
  chip_.sync();
  for (int k = 0; k < chip_.layers(); ++k) {
    const int rows = fine(k).inputs(), per_step = share_[std::size_t(k)].rows;
    for (int row0 = 0; row0 < rows; row0 += per_step) {
      const int n = std::min(per_step, rows - row0);
      chip_.advance_ns(carry_rows(k, row0, n, chip_.now_s(), layer_rng[std::size_t(k)]));
    }
  }
  in_forward_ = false;
}

void PeriodicCarry::report(int k, nlohmann::json& layer) const { report_range(layer, "fine", chip_.extra(k, array_)); }

void PeriodicCarry::save(Checkpoint& c) const {
  for (int k = 0; k < chip_.layers(); ++k)
    c.put_json(fmt::format("trainer.layer{}.carry_row", k), row_[std::size_t(k)]);
}

void PeriodicCarry::restore(const Checkpoint& c) {
  for (int k = 0; k < chip_.layers(); ++k)
    row_[std::size_t(k)] = checkpoint_row(c, fmt::format("trainer.layer{}.carry_row", k), fine(k).inputs());
}

}  // namespace mortal
