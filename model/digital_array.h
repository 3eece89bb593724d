#pragma once
// The exact digital synaptic array: a float32 weight matrix in memory, products through Eigen (over
// OpenBLAS on all cores). It is the reference every analog array is compared against.
//
// The learning rule only hands the array (x, d, lr), the same outer-product update a crossbar applies
// with coincident pulses. How that update lands on the weights is the array's business: a crossbar adds
// lr d^T x as pulses; this array can also run it through an optimiser (momentum with weight cost, or
// Adam), which keeps per-weight state the way a digital accelerator would.
#include <string>

#include "core/checkpoint.h"
#include "core/rng.h"
#include "core/synaptic_array.h"

namespace mortal {

enum class OptimiserKind { sgd, adam };
std::string to_string(OptimiserKind kind);
OptimiserKind parse_optimiser(const std::string& name);  // "sgd" or "adam"; otherwise Error

struct OptimiserParams {
  OptimiserKind kind = OptimiserKind::sgd;
  // SGD: v = momentum v + (1 - momentum) (g - weight_cost w); w += lr v, with g = d^T x. The moving-average
  // form (Hinton's ffnew.m, "delay" 0.9) keeps a steady step equal to plain SGD's, so lr carries over.
  float momentum = 0.0f;
  // Momentum rising as the learning rate decays (< 0: constant momentum): at a step of rate lr the moving
  // average uses momentum_at(lr) = momentum_final - (momentum_final - momentum) lr / base_lr, so momentum
  // while the rate is base_lr and momentum_final as it reaches zero.
  float momentum_final = -1.0f;
  float base_lr = 0.0f;      // the rate momentum_final is measured against; needed when momentum_final >= 0
  float weight_cost = 0.0f;  // ffnew.m: 0.001
  // Adam (Kingma & Ba 2015), PyTorch's defaults; weight_cost adds to the gradient as L2.
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float adam_eps = 1e-8f;
  void validate() const;
  bool momentum_rises() const { return momentum_final >= 0; }
  // The SGD momentum of a step taken at rate lr (momentum itself unless it rises).
  float momentum_at(float lr) const;
};

// The momentum of a step at rate lr, rising from mu0 at the base rate lr0 to mu1 as the rate reaches zero:
// mu1 - (mu1 - mu0) lr / lr0 (the rate clamped to [0, lr0]). In-situ analog momentum uses it too.
float rising_momentum(float mu0, float mu1, float lr, float lr0);

class DigitalArray final : public SynapticArray {
 public:
  DigitalArray(int outputs, int inputs, OptimiserParams opt = {});

  // Weights uniform in +-scale/sqrt(inputs): PyTorch's nn.Linear default for scale 1.
  void init_uniform(Rng& rng, float scale = 1.0f);
  // Programs the weights exactly (tests, and copying a model in); optimiser state restarts.
  void write_weights(ConstMatRef w);

  int inputs() const override { return static_cast<int>(w_.cols()); }
  int outputs() const override { return static_cast<int>(w_.rows()); }
  // x: (batch, in), z: (batch, out)
  void forward(MatRef z, ConstMatRef x) override;
  // x: (batch, in), d: (batch, out); the optimiser's step with g = d^T x as the ascent direction.
  void update(ConstMatRef x, ConstMatRef d, float lr) override;
  void read_weights(MatRef w) override;

  const OptimiserParams& optimiser() const { return opt_; }
  long long steps() const { return steps_; }

  // Weights, optimiser state and step count under `prefix` (a training checkpoint); restore refuses
  // another shape or optimiser, and non-finite values.
  void save(Checkpoint& c, const std::string& prefix) const;
  void restore(const Checkpoint& c, const std::string& prefix);

 private:
  bool plain_sgd() const {
    return opt_.kind == OptimiserKind::sgd && opt_.momentum == 0 && !opt_.momentum_rises() && opt_.weight_cost == 0;
  }

  OptimiserParams opt_;
  Mat w_;     // (out, in)
  Mat m_;     // SGD velocity, or Adam's first moment; allocated when the optimiser needs it
  Mat v_;     // Adam's second moment
  Mat g_;     // Adam's gradient scratch
  long long steps_ = 0;
};

}  // namespace mortal
