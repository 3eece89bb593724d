#pragma once
// Top-down effects (Hinton 2022, "Using FF to model top-down effects in perception"): a static image is
// treated as a video of itself, and the net as a recurrent one. The image sits below the first hidden layer
// and a one-of-N label is clamped above the last; at every iteration every hidden layer's new state comes
// from the normalised states of the layers below and above at the iteration before (synchronous), damped:
// state = damping x old + (1 - damping) x ReLU(W_up [below 1] + W_down above). The states start from one
// bottom-up pass (the top-down input left out). Every iteration is a time step of FF learning: each layer
// learns from its goodness at that step, for both its weight arrays, with the old state held fixed (no
// derivative flows back through time). The label is the one whose goodness, summed over the layers and
// averaged over iterations score_first..score_last, is largest.
//
// With the top-down weights zero and no damping, every iteration repeats the bottom-up pass: the net is the
// feed-forward FFNet, step for step.
//
// Each layer's circuits are an FFPeriphery (model/ff_step.h): exact arithmetic, or a chip's analog units
// (sim/recurrent_insitu.h). An iteration takes the sum of the two arrays' outputs through the ReLU, the damping
// stage (the held state mixed with the rectified sample) and the goodness integrator, in that order.
#include <memory>
#include <vector>

#include "core/synaptic_array.h"
#include "model/ff_step.h"

namespace mortal {

struct RecurrentParams {
  int iterations = 8;    // learning: synchronous iterations after the bottom-up pass, each a step of FF
  float damping = 0.3f;  // the share of a layer's old state kept at each iteration
  int score_first = 3;   // prediction: goodness averaged over these iterations (from 1)
  int score_last = 5;
  void validate() const;
};

class FFRecurrentNet {
 public:
  // up[l]: units_l outputs, units_{l-1} + 1 inputs (units_{-1} = the image's features; the last input is the
  // constant bias). down[l]: units_l outputs, units_{l+1} inputs (units_L = classes: the clamped label).
  // io[l]: layer l's circuits; empty: exact arithmetic (ExactPeriphery) for every layer.
  FFRecurrentNet(std::vector<std::unique_ptr<SynapticArray>> up, std::vector<std::unique_ptr<SynapticArray>> down,
                 const FFLayerParams& layer, NormKind input_norm, RecurrentParams rp,
                 std::vector<std::unique_ptr<FFPeriphery>> io = {});

  int layers() const { return static_cast<int>(layers_.size()); }
  int features() const { return layers_.front().up->inputs() - 1; }
  int classes() const { return layers_.back().down->inputs(); }
  int units(int l) const { return at(l).up->outputs(); }
  const RecurrentParams& recurrent() const { return rp_; }
  SynapticArray& up(int l) { return *at(l).up; }
  SynapticArray& down(int l) { return *at(l).down; }
  // Peer normalisation's running means (FFLayer::set_running_mean's checks).
  const RowVec& running_mean(int l) const { return at(l).peer.mean; }
  void set_running_mean(int l, const RowVec& mean);

  // Starts a run of images (rows, features), label labels[i] clamped on row i: every layer's state from
  // one bottom-up pass.
  void start(ConstMatRef images, const std::vector<int>& labels);
  // One synchronous iteration; layer l's goodness of it is goodness(l).
  void iterate();
  // The same, and every layer learns from it: target(i) = 1 for a positive row; `scale` multiplies every
  // row's delta. stats: one per layer.
  void learn(ConstVecRef target, float lr, float scale, std::vector<FFStepStats>& stats);
  Eigen::Ref<const Vec> goodness(int l) const { return at(l).g.head(rows_); }
  // The normalised states of the `chosen` layers side by side (after start(): the bottom-up pass's), through
  // each layer's normaliser.
  void collect_features(MatRef out, const std::vector<int>& chosen);
  int feature_width(const std::vector<int>& chosen) const;

  // scores(i, c): the goodness of image i with label c clamped, summed over the layers and averaged over
  // iterations score_first..score_last (s = -1 for min-ssq, so the best label scores highest).
  void label_scores(MatRef scores, ConstMatRef images, int chunk = 1000);
  std::vector<int> predict(ConstMatRef images);

 private:
  struct Layer {
    std::unique_ptr<SynapticArray> up, down;
    std::unique_ptr<FFPeriphery> io;
    PeerState peer;
    Mat below;  // (rows, units below + 1): the normalised state below and the bias
    Mat above;  // (rows, units above): the normalised state above, or the clamped label
    Mat z, zd;  // the two arrays' outputs
    Mat y;      // the state
    Mat d;      // the delta of a learning step
    Vec g, p, c;
  };
  Layer& at(int l) { return layers_[static_cast<std::size_t>(l)]; }
  const Layer& at(int l) const { return layers_[static_cast<std::size_t>(l)]; }
  void resize(int rows);
  // Every layer's products and new state from the states of the last iteration.
  void advance();
  // Each layer's normalised state into the inputs of its neighbours.
  void pass_on();

  std::vector<Layer> layers_;
  FFLayerParams lp_;
  NormKind input_norm_;
  RecurrentParams rp_;
  int rows_ = 0;
};

}  // namespace mortal
