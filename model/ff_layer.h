#pragma once
// One Forward-Forward layer over a synaptic array: y = ReLU([x 1] W^T), goodness per sample, and the
// local learning step W += lr d^T [x 1]. The bias is the weight of a constant-1 input column, so a
// crossbar carries it as one more row driven at a fixed voltage.
#include <memory>

#include "core/synaptic_array.h"
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
  double loss = 0;           // mean -log p(correct)
  double goodness_pos = 0;   // mean goodness of the positive rows
  double goodness_neg = 0;
  int positives = 0, negatives = 0;
};

class FFLayer {
 public:
  // `array` has units outputs and in + 1 inputs (the last one is the constant-1 bias column).
  FFLayer(std::unique_ptr<SynapticArray> array, FFLayerParams params);

  int inputs() const { return inputs_; }
  int units() const { return units_; }
  float threshold() const { return theta_; }
  const FFLayerParams& params() const { return params_; }
  SynapticArray& array() { return *array_; }

  // The first `rows` rows of this layer's input, (rows, inputs()): the previous stage writes here, so the
  // bias column never costs a copy. Contents survive until the next call with more rows.
  MatRef input(int rows);

  // Declares that in every training batch of 2n rows, row n + i differs from row i only in the first
  // `columns` inputs (supervised FF's first layer: a negative is its positive's image under another label,
  // and both normalise alike). train() then runs its two products on the n positive rows plus `columns`
  // unit rows instead of all 2n rows: the negatives' outputs are the positives' plus the label difference
  // times those columns' weights, and their share of the update goes through the same columns. The array
  // still sees only forward(X) and update(X, D). 0 turns it off; forward() and odd batches are unaffected.
  void pair_negatives(int columns);
  int input_rows() const { return rows_; }

  // y = ReLU(W [x 1]) for the current input; fills activity() and goodness().
  void forward();
  // forward(), then one learning step on the current input; target(i) = 1 for positive rows.
  // `scale` multiplies every row's delta (1 / rows gives the gradient of the mean loss).
  FFStepStats train(ConstVecRef target, float lr, float scale);

  // Writes the normalised activity of the last forward into `out` (rows, units); may be the next layer's input.
  void normalised_activity(MatRef out) const;

  // (rows, units) and (rows) of the last forward
  Eigen::Ref<const Mat> activity() const { return y_.middleRows(pair_, rows_); }
  Eigen::Ref<const Vec> goodness() const { return g_.head(rows_); }
  const RowVec& running_mean() const { return mean_; }
  // Peer normalisation's running means, as a checkpoint restores them; refuses another width or a
  // non-finite value.
  void set_running_mean(const RowVec& mean);

 private:
  void reserve(int rows);
  FFStepStats signal_and_delta(ConstVecRef target, float scale);  // y holds the products; fills g, d

  FFLayerParams params_;
  std::unique_ptr<SynapticArray> array_;
  int inputs_, units_;
  float theta_;
  int rows_ = 0, capacity_ = 0;
  int pair_ = 0;  // columns where paired negatives differ; x_, y_, d_ keep that many rows above the batch
  // With pairing, the first pair_ rows of x_ are the unit rows of those columns (bias input 0).
  Mat x_;        // (pair + capacity, inputs + 1), last column 1
  Mat y_, d_;    // (pair + capacity, units)
  Mat delta_;    // (capacity / 2, pair): negative minus positive input in the paired columns
  Vec g_, c_;    // (capacity)
  RowVec mean_;  // running mean activity per unit on positive data
  RowVec pull_;  // peer-normalisation push per unit
};

}  // namespace mortal
