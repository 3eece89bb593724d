#pragma once
// The pulsed-update responses of a device: how far one pulse moves its weight, as a function of the
// weight. A kind is one struct here (its parameters, validate(), its steps and the mean of many pulses on a
// block of devices) and one entry in the variant UpdateResponse. The crossbar visits the variant once per
// update and runs the kind's code over whole blocks of devices, so the per-device loops stay vectorised and
// a new kind needs nothing elsewhere.
//
// A pulse moves w up by step_up or down by step_down (magnitudes), each times (1 + dw_min_c2c xi). Both take
// the devices' own steps at w = 0 (a: DeviceState::dw_up or dw_down), their weights w and the bound the step
// shrinks towards, as arrays over a block of devices or as scalars for one device (the pulse-by-pulse
// reference). after_pulses gives the weights of a block after e_up up and e_dn down pulses spread evenly over
// a batch, without their noise: the solution at s = 1 of dw/ds = e_up step_up(w) - e_dn step_down(w), w(0) = w.
#include <variant>

#include "core/tensor.h"

namespace mortal::hw {

// The work arrays of after_pulses, at least as long as the block (the caller sizes them, once).
struct ResponseWork {
  Eigen::ArrayXf alpha, beta, em1;
};

// A block of n devices and the pulses they get: weights, steps at w = 0, bounds, counts (drawn, or expected).
template <typename W, typename A, typename C>
struct PulsedBlock {
  Eigen::Index n;
  const W& w;
  const A &a_up, &a_down, &w_min, &w_max;
  const C &e_up, &e_down;
};

namespace response {
// For a response affine in w, step_up = a_up (1 - k_up w) and step_down = a_down (1 - k_down w):
// dw/ds = alpha - beta w with alpha = e_up a_up - e_down a_down and beta = e_up a_up k_up - e_down a_down
// k_down, so w(1) = w e^-beta + alpha (1 - e^-beta) / beta (beta kept >= 1e-30: its limit 0 is w + alpha).
template <typename Next, typename B, typename Ku, typename Kd>
void affine_after_pulses(Next& next, const B& b, ResponseWork& work, const Ku& k_up, const Kd& k_down) {
  work.alpha.head(b.n) = b.e_up * b.a_up - b.e_down * b.a_down;
  work.beta.head(b.n) = (b.e_up * b.a_up * k_up - b.e_down * b.a_down * k_down).max(1e-30f);
  work.em1.head(b.n) = (-work.beta.head(b.n)).expm1();
  next = b.w * (1.0f + work.em1.head(b.n)) - work.alpha.head(b.n) * work.em1.head(b.n) / work.beta.head(b.n);
}
// With a step independent of w: w + alpha.
template <typename Next, typename B>
void constant_after_pulses(Next& next, const B& b, ResponseWork& work) {
  work.alpha.head(b.n) = b.e_up * b.a_up - b.e_down * b.a_down;
  next = b.w + work.alpha.head(b.n);
}
}  // namespace response

// step = dw_min, independent of w (aihwkit ConstantStepDevice).
struct ConstantStep {
  static constexpr const char* kind = "constant_step";  // its name in a configuration (sim/hw_config.h)
  void validate() const {}
  template <typename A, typename W>
  A step_up(const A& a, const W& /*w*/, const A& /*w_max*/) const {
    return a;
  }
  template <typename A, typename W>
  A step_down(const A& a, const W& /*w*/, const A& /*w_min*/) const {
    return a;
  }
  template <typename Next, typename B>
  void after_pulses(Next& next, const B& b, ResponseWork& work) const {
    response::constant_after_pulses(next, b, work);
  }
};

// step_up = dw_min (1 - w / w_max), step_down = dw_min (1 - w / w_min) (aihwkit SoftBoundsDevice).
struct SoftBounds {
  static constexpr const char* kind = "soft_bounds";
  void validate() const {}
  template <typename A, typename W>
  auto step_up(const A& a, const W& w, const A& w_max) const {
    return a * (1.0f - w / w_max);
  }
  template <typename A, typename W>
  auto step_down(const A& a, const W& w, const A& w_min) const {
    return a * (1.0f - w / w_min);
  }
  template <typename Next, typename B>
  void after_pulses(Next& next, const B& b, ResponseWork& work) const {
    response::affine_after_pulses(next, b, work, 1.0f / b.w_max, 1.0f / b.w_min);
  }
};

// step_up = dw_min (1 - gamma_up w / w_max), step_down = dw_min (1 - gamma_down w / w_min): the step
// shrinks linearly towards a bound (after aihwkit LinearStepDevice; gamma 1 is soft bounds, 0 a constant step).
struct LinearStep {
  static constexpr const char* kind = "linear_step";
  double gamma_up = 0.0;
  double gamma_down = 0.0;
  void validate() const;
  template <typename A, typename W>
  auto step_up(const A& a, const W& w, const A& w_max) const {
    return a * (1.0f - float(gamma_up) * w / w_max);
  }
  template <typename A, typename W>
  auto step_down(const A& a, const W& w, const A& w_min) const {
    return a * (1.0f - float(gamma_down) * w / w_min);
  }
  template <typename Next, typename B>
  void after_pulses(Next& next, const B& b, ResponseWork& work) const {
    if (float(gamma_up) == 0 && float(gamma_down) == 0)
      response::constant_after_pulses(next, b, work);
    else
      response::affine_after_pulses(next, b, work, float(gamma_up) / b.w_max, float(gamma_down) / b.w_min);
  }
};

using UpdateResponse = std::variant<ConstantStep, SoftBounds, LinearStep>;

}  // namespace mortal::hw
