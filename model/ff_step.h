#pragma once
// One Forward-Forward learning step on a layer's array output, written once for the digital net and for the
// chip. Between the synaptic array and the update's column drive the step passes through circuits: the
// ReLU, the goodness integrator, the sigmoid unit and, on the way to the next layer, the length normaliser.
// They are a seam, FFPeriphery: ExactPeriphery below is the exact arithmetic, and the chip's analog units
// with their gains, offsets and noise implement the same seam (sim/chip_periphery.h). What the step does
// with their outputs (the learning signal, the delta, peer normalisation, the step's statistics) is the
// same arithmetic on either.
#include "core/tensor.h"
#include "model/ff_math.h"

namespace mortal {

struct FFLayerParams {
  FFObjective objective;
  NormKind norm = NormKind::rms;  // how the activity vector is normalised before it passes on
  float norm_eps = 1e-4f;         // added to the length, as pytorch/examples does
  float bias_input = 1.0f;        // value of the constant input column that carries the bias; 0: no bias
  // Peer normalisation (ffnew.m, lambda 0.03): each unit's running mean activity on positive data is pulled
  // toward the layer's average of them, so no unit stays dead or dominates. 0 turns it off.
  float peer_lambda = 0.0f;
  float peer_momentum = 0.9f;  // of the running mean
  float peer_initial = 0.5f;   // running means start here (ffnew.m)
  void validate() const;
};

// What a training step measured, before its update.
struct FFStepStats {
  double loss = 0;           // mean -log p(correct): the cross-entropy of p(positive) against the targets
  double goodness_pos = 0;   // mean goodness of the positive rows (target > 0.5)
  double goodness_neg = 0;
  int positives = 0, negatives = 0;
};

// The circuits of one layer that the step and the forward pass go through. Rows are samples.
class FFPeriphery {
 public:
  virtual ~FFPeriphery() = default;
  // y: (rows, units) the array's output, rectified in place; g: (rows) each row's goodness as the objective
  // counts it (sum or mean of squares). The two circuits in turn: rectify, then integrate.
  virtual void activate(MatRef y, VecRef g) {
    rectify(y);
    integrate(y, g);
  }
  // The ReLU alone, in place, and the goodness integrator alone: the recurrent net (model/ff_recurrent.h)
  // puts its damping stage between them.
  virtual void rectify(MatRef y) = 0;
  virtual void integrate(ConstMatRef y, VecRef g) = 0;
  // The recurrent net's damping stage: y = keep y + (1 - keep) x, the held state y mixed with the rectified
  // sample x (rows, units).
  virtual void damp(MatRef y, ConstMatRef x, float keep) = 0;
  // p: (rows) the probability that each row is positive data, from its goodness g.
  virtual void probability(VecRef p, ConstVecRef g) = 0;
  // The sum over rows of the cross-entropy -t log p - (1 - t) log(1 - p) against target t, for the p that
  // probability() gave from g, as precisely as the circuit lets it be known: exact arithmetic takes it from
  // the logit, a chip from its sigmoid unit's output.
  virtual double cross_entropy(ConstVecRef p, ConstVecRef g, ConstVecRef target) const = 0;
  // out: (rows, units) y scaled to unit length, the activity passed on; may alias y.
  virtual void normalise(MatRef out, ConstMatRef y) = 0;
};

// Peer normalisation's state between steps: each unit's running mean on positive data, and scratch.
struct PeerState {
  RowVec mean, pull;
  PeerState(int units, float initial) : mean(RowVec::Constant(units, initial)), pull(RowVec::Zero(units)) {}
};

// The step on rows whose array output is in y (rows, units): activation and goodness g, probability p,
// learning signal c = (s / T)(target - p), delta d = 2 scale c y (per unit for the mean goodness), and peer
// normalisation's push on the positive rows. g, p, c: (rows); d: (rows, units). `scale` multiplies every
// row's delta (1 / rows gives the gradient of the mean loss). Paper eq. 3 then is W += lr d^T x.
FFStepStats ff_step(FFPeriphery& io, const FFLayerParams& lp, MatRef y, VecRef g, VecRef p, VecRef c, MatRef d,
                    ConstVecRef target, float scale, PeerState& peer);
// The same after activation: y already rectified and g its goodness (io.activate, or rectify and integrate
// with a stage between them).
FFStepStats ff_step_activated(FFPeriphery& io, const FFLayerParams& lp, ConstMatRef y, ConstVecRef g, VecRef p,
                              VecRef c, MatRef d, ConstVecRef target, float scale, PeerState& peer);

// The exact digital arithmetic of the seam, for a layer of the given threshold.
class ExactPeriphery final : public FFPeriphery {
 public:
  ExactPeriphery(const FFLayerParams& lp, float theta) : lp_(lp), theta_(theta) {}
  void activate(MatRef y, VecRef g) override;
  void rectify(MatRef y) override;
  void integrate(ConstMatRef y, VecRef g) override;
  void damp(MatRef y, ConstMatRef x, float keep) override;
  void probability(VecRef p, ConstVecRef g) override;
  double cross_entropy(ConstVecRef p, ConstVecRef g, ConstVecRef target) const override;
  void normalise(MatRef out, ConstMatRef y) override;

 private:
  FFLayerParams lp_;
  float theta_;
};

}  // namespace mortal
