#pragma once
// The per-layer arithmetic of Forward-Forward (Hinton 2022, arXiv 2212.13345), one small function per
// step, because on the analog chip each step is its own periphery circuit: squaring integrator
// (goodness), sigmoid unit (learning signal), length normaliser, pulse scaling (delta).
//
// Conventions: a batch is a matrix whose rows are samples; per-sample scalars are column vectors.
// target(i) = 1 for a positive (real) sample, 0 for a negative one.
#include <string>

#include "core/tensor.h"

namespace mortal {

using VecRef = Eigen::Ref<Vec>;

enum class GoodnessKind { sum_squares, mean_squares };
enum class NormKind { rms, l2 };  // unit mean square (ffnew.m) or unit Euclidean length (pytorch/examples)

std::string to_string(GoodnessKind kind);
std::string to_string(NormKind kind);
GoodnessKind parse_goodness(const std::string& name);  // "sum" or "mean"
NormKind parse_norm(const std::string& name);          // "rms" or "l2"

// What a layer's goodness means and how it becomes a probability.
struct FFObjective {
  GoodnessKind kind = GoodnessKind::sum_squares;
  bool min_ssq = false;     // min-ssq: positive data should have LOW sum of squares (paper section 3.1)
  float theta = 0.0f;       // threshold; <= 0 picks the default: units for the sum, 1 for the mean
  float temperature = 1.0f; // p = sigmoid(s (G - theta) / temperature)
  void validate() const;
  // theta with the default resolved for a layer of `units` units
  float threshold(int units) const;
  float sign() const { return min_ssq ? -1.0f : 1.0f; }
};

// g: (batch) goodness of each row of y: sum of y^2, or its mean.  y: (batch, units)
void goodness(VecRef g, ConstMatRef y, GoodnessKind kind);

// logit of p(positive) for goodness G: s (G - theta) / T, s = +1 for max-ssq, -1 for min-ssq
inline float ff_logit(float g, const FFObjective& obj, float theta) {
  return obj.sign() * (g - theta) / obj.temperature;
}

// Mean over rows of -log p(correct): softplus(-a) for positive rows, softplus(a) for negative rows.
double ff_loss(ConstVecRef g, ConstVecRef target, const FFObjective& obj, float theta);

// The learning signal c_i = d log p(correct_i) / d G_i = (s / T)(target_i - sigmoid(a_i)): one scalar per
// sample, what the sigmoid periphery unit computes.  g, target, c: (batch)
void learning_signal(VecRef c, ConstVecRef g, ConstVecRef target, const FFObjective& obj, float theta);

// d = scale * c_i * dG/dy_ij = scale * c_i * 2 y_ij (/ units for the mean): the descent direction on the
// loss for the pre-activations (ReLU' is 1 exactly where y > 0, and y = 0 elsewhere). Paper eq. 3 is
// W += eps d^T x.  d, y: (batch, units); c: (batch)
void ff_delta(MatRef d, ConstVecRef c, ConstMatRef y, GoodnessKind kind, float scale);

// Peer normalisation (ffnew.m): mean (units) is each unit's running mean activity on positive rows
// (momentum mu); every positive row's delta gets lambda * scale * (mean over units of mean - mean), pushing
// each unit's drive toward the layer's average (ReLU ignored, so a dead unit comes back). pull: scratch.
void peer_normalise(MatRef d, RowVec& mean, RowVec& pull, ConstMatRef y, ConstVecRef target, float lambda, float mu,
                    float scale);

// out = y / (eps + |y|) with |y| the root mean square (rms) or the length (l2) of each row, so only the
// orientation passes on. out may alias y.  y, out: (batch, units)
void normalise_rows(MatRef out, ConstMatRef y, NormKind kind, float eps);

// y = max(z, 0), may alias
void relu(MatRef y, ConstMatRef z);

// Softplus log(1 + e^x) without overflow
double softplus(double x);
double sigmoid(double x);

}  // namespace mortal
