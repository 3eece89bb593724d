#include "model/digital_array.h"

#include <algorithm>
#include <boost/random/uniform_real_distribution.hpp>
#include <cmath>

#include "core/error.h"

namespace mortal {

std::string to_string(OptimiserKind kind) { return kind == OptimiserKind::adam ? "adam" : "sgd"; }

OptimiserKind parse_optimiser(const std::string& name) {
  if (name == "sgd") return OptimiserKind::sgd;
  if (name == "adam") return OptimiserKind::adam;
  fail("optimiser must be sgd or adam, got '{}'", name);
}

void OptimiserParams::validate() const {
  require(momentum >= 0 && momentum < 1, "optimiser.momentum must be in [0, 1), got {}", momentum);
  if (momentum_rises()) {
    require(kind == OptimiserKind::sgd, "optimiser.momentum_final {} needs the sgd optimiser", momentum_final);
    require(momentum_final >= momentum && momentum_final < 1,
            "optimiser.momentum_final must be in [momentum, 1) = [{}, 1), got {}", momentum, momentum_final);
    check_positive("optimiser.base_lr", base_lr);
  }
  check_nonnegative("optimiser.weight_cost", weight_cost);
  require(beta1 >= 0 && beta1 < 1, "optimiser.beta1 must be in [0, 1), got {}", beta1);
  require(beta2 >= 0 && beta2 < 1, "optimiser.beta2 must be in [0, 1), got {}", beta2);
  check_positive("optimiser.adam_eps", adam_eps);
}

float rising_momentum(float mu0, float mu1, float lr, float lr0) {
  const float f = std::clamp(lr / lr0, 0.0f, 1.0f);
  return mu1 - (mu1 - mu0) * f;
}

float OptimiserParams::momentum_at(float lr) const {
  return momentum_rises() ? rising_momentum(momentum, momentum_final, lr, base_lr) : momentum;
}

DigitalArray::DigitalArray(int outputs, int inputs, OptimiserParams opt) : opt_(opt) {
  require(outputs > 0 && inputs > 0, "synaptic array shape must be positive, got {}x{}", outputs, inputs);
  opt_.validate();
  w_ = Mat::Zero(outputs, inputs);
  if (!plain_sgd()) m_ = Mat::Zero(outputs, inputs);
  if (opt_.kind == OptimiserKind::adam) {
    v_ = Mat::Zero(outputs, inputs);
    g_ = Mat::Zero(outputs, inputs);
  }
}

void DigitalArray::init_uniform(Rng& rng, float scale) {
  const float bound = scale / std::sqrt(static_cast<float>(w_.cols()));
  boost::random::uniform_real_distribution<float> u(-bound, bound);
  for (Eigen::Index i = 0; i < w_.size(); ++i) w_.data()[i] = u(rng);
}

void DigitalArray::write_weights(ConstMatRef w) {
  require(w.rows() == w_.rows() && w.cols() == w_.cols(), "write_weights: got {}x{}, array is {}x{}", w.rows(),
          w.cols(), w_.rows(), w_.cols());
  w_ = w;
  if (m_.size()) m_.setZero();
  if (v_.size()) v_.setZero();
  steps_ = 0;
}

void DigitalArray::save(Checkpoint& c, const std::string& prefix) const {
  c.put_json(prefix + ".optimiser", {{"kind", to_string(opt_.kind)},
                                     {"momentum", opt_.momentum},
                                     {"momentum_final", opt_.momentum_final},
                                     {"weight_cost", opt_.weight_cost},
                                     {"steps", steps_}});
  c.put(prefix + ".w", w_);
  if (m_.size()) c.put(prefix + ".m", m_);
  if (v_.size()) c.put(prefix + ".v", v_);
}

void DigitalArray::restore(const Checkpoint& c, const std::string& prefix) {
  const nlohmann::json& o = c.get_json(prefix + ".optimiser");
  require(o.at("kind").get<std::string>() == to_string(opt_.kind) && o.at("momentum").get<float>() == opt_.momentum &&
              o.value("momentum_final", -1.0f) == opt_.momentum_final &&
              o.at("weight_cost").get<float>() == opt_.weight_cost,
          "checkpoint array '{}' was trained with optimiser {}, this array has {} momentum {} (final {}) weight cost {}",
          prefix, o.dump(), to_string(opt_.kind), opt_.momentum, opt_.momentum_final, opt_.weight_cost);
  const long long steps = o.at("steps").get<long long>();
  require(steps >= 0, "checkpoint array '{}': steps must be >= 0, got {}", prefix, steps);
  c.get(prefix + ".w", w_, w_.rows(), w_.cols());
  if (m_.size()) c.get(prefix + ".m", m_, m_.rows(), m_.cols());
  if (v_.size()) c.get(prefix + ".v", v_, v_.rows(), v_.cols());
  steps_ = steps;
}

void DigitalArray::forward(MatRef z, ConstMatRef x) {
  z.noalias() = x * w_.transpose();
}

void DigitalArray::update(ConstMatRef x, ConstMatRef d, float lr) {
  ++steps_;
  if (plain_sgd()) {
    w_.noalias() += lr * (d.transpose() * x);
    return;
  }
  if (opt_.kind == OptimiserKind::sgd) {
    // v = mu v + (1 - mu)(d^T x - wc w): one pass for the decay, the product accumulates in place.
    const float mu = opt_.momentum_at(lr), a = 1 - mu;
    m_ = mu * m_ - (a * opt_.weight_cost) * w_;
    m_.noalias() += a * (d.transpose() * x);
    w_ += lr * m_;
    return;
  }
  g_.noalias() = d.transpose() * x;
  if (opt_.weight_cost > 0) g_ -= opt_.weight_cost * w_;
  const float b1 = opt_.beta1, b2 = opt_.beta2;
  m_ = b1 * m_ + (1 - b1) * g_;
  v_ = b2 * v_ + (1 - b2) * g_.cwiseAbs2();
  const double t = static_cast<double>(steps_);
  const float c1 = static_cast<float>(1 - std::pow(b1, t)), c2 = static_cast<float>(1 - std::pow(b2, t));
  // w += lr mhat / (sqrt(vhat) + eps) with mhat = m / c1, vhat = v / c2
  w_.array() += (lr / c1) * m_.array() / ((v_.array() / c2).sqrt() + opt_.adam_eps);
}

void DigitalArray::read_weights(MatRef w) {
  require(w.rows() == w_.rows() && w.cols() == w_.cols(), "read_weights: got {}x{}, array is {}x{}", w.rows(),
          w.cols(), w_.rows(), w_.cols());
  w = w_;
}

}  // namespace mortal
