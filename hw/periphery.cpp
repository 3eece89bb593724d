#include "hw/periphery.h"

#include <cmath>

#include "core/error.h"

namespace mortal::hw {

void AnalogParams::validate(const std::string& unit) const {
  check_nonnegative((unit + ".gain_dtod").c_str(), gain_dtod);
  check_nonnegative((unit + ".offset_dtod").c_str(), offset_dtod);
  check_nonnegative((unit + ".noise").c_str(), noise);
  check_nonnegative((unit + ".t_op_ns").c_str(), t_op_ns);
}

void ConverterParams::validate(const std::string& unit) const {
  require(bits >= 1 && bits <= 24, "{}.bits must lie in 1..24, got {}", unit, bits);
  check_positive((unit + ".range").c_str(), range);
  analog.validate(unit);
}

PeripheryUnit::PeripheryUnit(std::string name, const AnalogParams& params, Ledger& ledger,
                             const std::string& event, double energy_per_op_pj)
    : name_(std::move(name)),
      analog_(params),
      ledger_(&ledger),
      ops_(ledger.counter(name_, event, energy_per_op_pj)) {
  analog_.validate(name_);
}

void PeripheryUnit::sample(int channels, Rng& rng) {
  gain_.resize(channels);
  offset_.resize(channels);
  FastRng fr(rng);
  for (int j = 0; j < channels; ++j) {
    gain_[j] = float(1.0 + analog_.gain_dtod * fr.normal());
    offset_[j] = float(analog_.offset_dtod * fr.normal());
  }
}

void PeripheryUnit::apply_spread(MatRef y, FastRng& rng) const {
  if (spread_on()) {
    require(y.cols() == gain_.size(), "{}: {} channels sampled, {} used", name_, gain_.size(), y.cols());
    y.array().rowwise() *= gain_.array();
    y.array().rowwise() += offset_.array();
  }
  if (analog_.noise > 0) {
    const float sd = float(analog_.noise);
    for (Eigen::Index r = 0; r < y.rows(); ++r)
      for (Eigen::Index c = 0; c < y.cols(); ++c) y(r, c) += sd * rng.normal();
  }
}

// --- converters ---------------------------------------------------------------------------------------

void quantize_symmetric(MatRef y, int bits, double range) {
  // 2^(bits-1) - 1 steps each side of zero, so zero is a level and the scale is symmetric.
  const float levels = float((1 << (bits - 1)) - 1);
  const float r = float(range);
  const float step = r / std::max(levels, 1.0f);
  y.array() = (y.array().cwiseMax(-r).cwiseMin(r) / step).round() * step;
}

Dac::Dac(std::string name, const ConverterParams& params, Ledger& ledger)
    : PeripheryUnit(std::move(name), params.analog, ledger, "dac_conversion",
                    ledger.params().dac_conversion_pj),
      params_(params) {
  params_.validate(name_);
}

void Dac::convert(MatRef v, ConstMatRef x, FastRng& rng) const {
  v = x;
  if (params_.quantize) quantize_symmetric(v, params_.bits, params_.range);
  apply_spread(v, rng);
}

Adc::Adc(std::string name, const ConverterParams& params, Ledger& ledger)
    : PeripheryUnit(std::move(name), params.analog, ledger, "adc_conversion",
                    ledger.params().adc_conversion_pj),
      params_(params) {
  params_.validate(name_);
}

void Adc::convert(MatRef y, FastRng& rng) const {
  // The analog front end (gain, offset, noise) comes before the quantiser.
  apply_spread(y, rng);
  if (params_.quantize) quantize_symmetric(y, params_.bits, params_.range);
  ledger_->add(ops_, double(y.size()));
}

// --- analog functions ---------------------------------------------------------------------------------

AnalogRelu::AnalogRelu(std::string name, const AnalogParams& params, Ledger& ledger)
    : PeripheryUnit(std::move(name), params, ledger, "relu_op", ledger.params().periphery_op_pj) {}

void AnalogRelu::apply(MatRef y, ConstMatRef x, FastRng& rng) const {
  y = x;
  apply_spread(y, rng);
  y = y.cwiseMax(0.0f);
  ledger_->add(ops_, double(y.size()));
}

DampingStage::DampingStage(std::string name, const AnalogParams& params, Ledger& ledger)
    : PeripheryUnit(std::move(name), params, ledger, "damping_op", ledger.params().periphery_op_pj) {}

void DampingStage::apply(MatRef y, ConstMatRef x, float keep, FastRng& rng) const {
  require(y.rows() == x.rows() && y.cols() == x.cols() && y.cols() == channels(),
          "{}: a held state of {}x{} and a sample of {}x{} for {} channels", name_, y.rows(), y.cols(), x.rows(),
          x.cols(), channels());
  require(keep >= 0 && keep < 1, "{}: the share kept must be in [0, 1), got {}", name_, keep);
  y = keep * y + (1 - keep) * x;
  if (spread_on() || analog_.noise > 0) {
    apply_spread(y, rng);
    y = y.cwiseMax(0.0f);
  }
  ledger_->add(ops_, double(y.size()));
}

LengthNormaliser::LengthNormaliser(std::string name, const AnalogParams& params, Ledger& ledger,
                                   double eps)
    : PeripheryUnit(std::move(name), params, ledger, "normaliser_op", ledger.params().periphery_op_pj),
      eps_(eps) {
  check_nonnegative("eps", eps);
}

void LengthNormaliser::apply(MatRef y, ConstMatRef x, FastRng& rng) const {
  const float n = float(x.cols());
  for (Eigen::Index b = 0; b < x.rows(); ++b) {
    const float rms = std::sqrt(x.row(b).squaredNorm() / n);
    y.row(b) = x.row(b) * (1.0f / (rms + float(eps_)));
  }
  apply_spread(y, rng);
  ledger_->add(ops_, double(y.size()));
}

GoodnessIntegrator::GoodnessIntegrator(std::string name, const AnalogParams& params, Ledger& ledger)
    : PeripheryUnit(std::move(name), params, ledger, "squarer_op", ledger.params().periphery_op_pj) {}

void GoodnessIntegrator::apply(MatRef g, ConstMatRef y, FastRng& rng) const {
  if (spread_on()) {
    require(y.cols() == gain_.size(), "{}: {} channels sampled, {} used", name_, gain_.size(), y.cols());
    g.col(0) = y.array().square().matrix() * gain_.transpose();
    g.array() += offset_.sum();
  } else {
    g.col(0) = y.rowwise().squaredNorm();
  }
  if (analog_.noise > 0)
    for (Eigen::Index b = 0; b < g.rows(); ++b) g(b, 0) += float(analog_.noise) * rng.normal();
  ledger_->add(ops_, double(y.size()));
}

SigmoidUnit::SigmoidUnit(std::string name, const AnalogParams& params, Ledger& ledger)
    : PeripheryUnit(std::move(name), params, ledger, "sigmoid_op", ledger.params().periphery_op_pj) {}

void SigmoidUnit::apply(MatRef p, ConstMatRef g, float theta, FastRng& rng) const {
  p = (g.array() - theta).matrix();
  if (spread_on()) {
    require(p.cols() == gain_.size(), "{}: {} channels sampled, {} used", name_, gain_.size(), p.cols());
    p.array().rowwise() *= gain_.array();
    p.array().rowwise() += offset_.array();
  }
  p = (1.0f / (1.0f + (-p.array()).exp())).matrix();
  if (analog_.noise > 0)
    for (Eigen::Index r = 0; r < p.rows(); ++r)
      for (Eigen::Index c = 0; c < p.cols(); ++c) p(r, c) += float(analog_.noise) * rng.normal();
  ledger_->add(ops_, double(p.size()));
}

PulseGenerator::PulseGenerator(std::string name, const AnalogParams& params, Ledger& ledger)
    : PeripheryUnit(std::move(name), params, ledger, "pulse_gen_op", ledger.params().periphery_op_pj) {}

void PulseGenerator::probabilities(MatRef p, ConstMatRef x, float scale) const {
  p = (scale * x.array().abs()).matrix();
  if (spread_on()) {
    require(p.cols() == gain_.size(), "{}: {} channels sampled, {} used", name_, gain_.size(), p.cols());
    p.array().rowwise() *= gain_.array();
    p.array().rowwise() += offset_.array();
  }
  p = p.cwiseMax(0.0f).cwiseMin(1.0f);
  ledger_->add(ops_, double(p.size()));
}

}  // namespace mortal::hw
