#pragma once
// One Forward-Forward layer over a synaptic array: y = ReLU([x 1] W^T), goodness per sample, and the
// local learning step W += lr d^T [x 1] (model/ff_step.h, through the exact periphery). The bias is the weight of a constant-1 input column, so a
// crossbar carries it as one more row driven at a fixed voltage.
#include <memory>

#include "core/synaptic_array.h"
#include "model/ff_step.h"

namespace mortal {

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
  void normalised_activity(MatRef out);

  // (rows, units) and (rows) of the last forward
  Eigen::Ref<const Mat> activity() const { return y_.middleRows(pair_, rows_); }
  Eigen::Ref<const Vec> goodness() const { return g_.head(rows_); }
  const RowVec& running_mean() const { return peer_.mean; }
  // Peer normalisation's running means, as a checkpoint restores them; refuses another width or a
  // non-finite value.
  void set_running_mean(const RowVec& mean);

 private:
  void reserve(int rows);
  FFStepStats step(ConstVecRef target, float scale);  // y holds the products: ff_step on the batch's rows

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
  Vec g_, p_, c_;  // (capacity)
  ExactPeriphery io_;
  PeerState peer_;
};

}  // namespace mortal
