#include "sim/rules/mixed_precision.h"

#include <fmt/format.h>

#include <cmath>

#include "core/error.h"

namespace mortal {

MixedPrecision::MixedPrecision(const MixedPrecisionParams& p, hw::Chip& chip) : chip_(chip) {
  p.validate();
  for (int k = 0; k < chip.layers(); ++k) {
    const hw::Crossbar& w = chip.weights(k);
    chi_.push_back(Mat::Zero(w.outputs(), w.inputs()));
    dw_.emplace_back(w.outputs(), w.inputs());
    adc_.push_back(chip.ledger().counter(w.name() + ".update_adc", "adc_conversion",
                                         chip.ledger().params().adc_conversion_pj));
  }
}

double MixedPrecision::step(const RuleStep& s) {
  const int k = s.layer;
  hw::Crossbar& w = chip_.weights(k);
  Mat& chi = chi_[std::size_t(k)];
  Mat& dw = dw_[std::size_t(k)];
  // d through this layer's column ADCs, x (hidden layers) through the previous layer's, in parallel: each
  // bank converts one sample after another.
  // (The bias row's constant drive is known digitally: not converted.)
  const int rows = int(s.x.rows()), x_cols = int(s.x.cols()) - (chip_.params().bias_row ? 1 : 0);
  chip_.ledger().add(adc_[std::size_t(k)], double(s.d.size()) + (k == 0 ? 0.0 : double(rows) * x_cols));
  const hw::TimingParams& t = w.params().timing;
  double ns = s.ns + double(rows) * t.columns_per_adc * t.t_adc_ns;
  // chi += lr d^T x in normalised units (the weights' w_scale user units per unit).
  chi.noalias() += (s.lr / float(w.params().w_scale)) * (s.d.transpose() * s.x);
  // Whole device steps of chi, at most BL of them, written into every copy of the weights; the rest stays.
  dw = chi;
  w.whole_steps(dw, w.burst_length());
  ns += chip_.write_weight_rows(k, dw, 0, s.t_s + ns * 1e-9, s.rng, hw::Crossbar::RowWrite::whole_steps).ns;
  chi -= dw;
  return ns;
}

void MixedPrecision::report(int k, nlohmann::json& layer) const {
  const Mat& chi = chi_[std::size_t(k)];
  const double dw_min = chip_.weights(k).params().device.dw_min;
  layer["accumulator_rms_steps"] = std::sqrt(double(chi.squaredNorm()) / double(chi.size())) / dw_min;
}

void MixedPrecision::save(Checkpoint& c) const {
  for (int k = 0; k < chip_.layers(); ++k) c.put(fmt::format("trainer.layer{}.mixed_precision_chi", k), chi_[std::size_t(k)]);
}

void MixedPrecision::restore(const Checkpoint& c) {
  for (int k = 0; k < chip_.layers(); ++k) {
    Mat m;
    c.get(fmt::format("trainer.layer{}.mixed_precision_chi", k), m);
    Mat& chi = chi_[std::size_t(k)];
    require(m.rows() == chi.rows() && m.cols() == chi.cols(), "checkpoint: layer {} accumulators are {}x{}, want {}x{}",
            k, m.rows(), m.cols(), chi.rows(), chi.cols());
    chi = m;
  }
}

}  // namespace mortal
